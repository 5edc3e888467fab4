// Command zen-lead-cluster is a multi-call binary holding a real Kubernetes control plane, built from
// k8s.io/kubernetes (as a library) and go.etcd.io/etcd/server/v3, for zen-lead's integration tests.
//
// Usage:
//
//	zen-lead-cluster <component> [flags...]
//
// where <component> is one of etcd, kube-apiserver, kube-controller-manager, kube-scheduler, kube-proxy,
// kubectl, kwok, version, or the orchestration subcommands up / supervise and ctl (below). kube-proxy
// is never started by `up`: the data-plane tests start it inside the network namespace that plays
// the node. kubectl is here so that zen-lead's kubectl plugin is tested through the real kubectl.
// If the binary is invoked through a symlink named after a component (argv[0]), that name is used.
//
// # Bringing a cluster up (up.go)
//
// `up` and `supervise` bring a loopback-only control plane up in a temp dir:
//
//	zen-lead-cluster up [--foreground] [--dir DIR] [--state-file PATH] [--nodes N] [--manual-nodes N]
//	                    [--watch-pid PID] [--timeout DUR] [--controllers LIST] [--keep-dir]
//
// Without --foreground, `up` starts a detached supervisor (own session), waits until the cluster is
// ready, prints the state file path on stdout and exits 0; the supervisor keeps the components running
// until it gets SIGTERM/SIGINT (tools/cluster/down.sh STATE sends it), or --watch-pid's process exits.
// With --foreground, `up` is the supervisor and stays up until Ctrl-C.
//
// # Fault injection (control.go)
//
// The supervisor listens on a Unix socket (DIR/control.sock, the state file's "controlSocket") and
// stops, freezes and restarts one component on request, with the arguments it was first started
// with (same ports, same data dir, same certificates):
//
//	zen-lead-cluster ctl STATE_FILE|SOCKET COMMAND COMPONENT
//
// Protocol: one line `COMMAND COMPONENT` in, one line of JSON out ({"ok":true,"pid":N} or
// {"ok":false,"error":"..."}), then the connection closes. Commands:
//
//	kill     SIGKILL; the component stays down (no restart)
//	stop     SIGSTOP (frozen: its sockets stay open, nothing is read or answered)
//	cont     SIGCONT
//	start    start it again (if it is not running) with its original arguments
//	restart  SIGKILL if running, then start
//	pid      the running process's pid
//
// A component stopped this way is not reported as having "exited unexpectedly".
package main

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	_ "time/tzdata" // for timeZone support in CronJob

	"github.com/spf13/pflag"
	"go.etcd.io/etcd/server/v3/etcdmain"
	_ "k8s.io/client-go/plugin/pkg/client/auth" // kubectl's client auth plugins, as upstream's main
	"k8s.io/component-base/cli"
	"k8s.io/component-base/logs"
	_ "k8s.io/component-base/logs/json/register"          // JSON log format registration
	_ "k8s.io/component-base/metrics/prometheus/clientgo" // client-go prometheus plugins
	_ "k8s.io/component-base/metrics/prometheus/version"  // version metric registration
	"k8s.io/component-base/version"
	kubectlcmd "k8s.io/kubectl/pkg/cmd"
	kubectlutil "k8s.io/kubectl/pkg/cmd/util"
	apiserver "k8s.io/kubernetes/cmd/kube-apiserver/app"
	controllermanager "k8s.io/kubernetes/cmd/kube-controller-manager/app"
	proxy "k8s.io/kubernetes/cmd/kube-proxy/app"
	scheduler "k8s.io/kubernetes/cmd/kube-scheduler/app"
	kwokconfig "sigs.k8s.io/kwok/pkg/config"
	kwokcmd "sigs.k8s.io/kwok/pkg/kwok/cmd"
	kwoklog "sigs.k8s.io/kwok/pkg/log"
	"sigs.k8s.io/kwok/pkg/utils/signals"
)

var components = map[string]func() int{
	"etcd": func() int {
		etcdmain.Main(os.Args) // exits the process itself
		return 0
	},
	"kube-apiserver": func() int {
		return cli.Run(apiserver.NewAPIServerCommand())
	},
	"kube-controller-manager": func() int {
		return cli.Run(controllermanager.NewControllerManagerCommand())
	},
	"kube-scheduler": func() int {
		return cli.Run(scheduler.NewSchedulerCommand())
	},
	"kube-proxy": func() int {
		return cli.Run(proxy.NewProxyCommand())
	},
	"kubectl":   runKubectl,
	"kwok":      runKwok,
	"up":        runUp,
	"supervise": runSupervise,
	"ctl":       runCtl,
	"version": func() int {
		fmt.Println(version.Get().GitVersion)
		return 0
	},
}

func usage() int {
	names := make([]string, 0, len(components))
	for n := range components {
		names = append(names, n)
	}
	sort.Strings(names)
	fmt.Fprintf(os.Stderr, "usage: %s <component> [flags...]\ncomponents: %v\n", filepath.Base(os.Args[0]), names)
	return 2
}

func main() {
	name := filepath.Base(os.Args[0])
	if _, ok := components[name]; !ok {
		if len(os.Args) < 2 {
			os.Exit(usage())
		}
		name = os.Args[1]
		if _, ok := components[name]; !ok {
			os.Exit(usage())
		}
		// Shift so that the component sees itself as argv[0] (cobra and etcd parse os.Args[1:]).
		os.Args = append([]string{name}, os.Args[2:]...)
	}
	os.Exit(components[name]())
}

// runKwok is sigs.k8s.io/kwok/cmd/kwok's main, verbatim apart from returning the exit code.
func runKwok() int {
	// k8s.io/component-base/version/verflag registers a non-bool --version in pflag.CommandLine at
	// init; cobra merges pflag.CommandLine into every command and then trips over it in kwok's
	// command. Only one component runs per process, so kwok gets a clean global flag set.
	pflag.CommandLine = pflag.NewFlagSet(os.Args[0], pflag.ExitOnError)

	flagset := pflag.NewFlagSet("global", pflag.ContinueOnError)
	flagset.ParseErrorsAllowlist.UnknownFlags = true
	flagset.Usage = func() {}

	ctx := signals.SetupSignalContext()
	ctx, logger := kwoklog.InitFlags(ctx, flagset)

	ctx, err := kwokconfig.InitFlags(ctx, flagset)
	if err != nil {
		_, _ = os.Stderr.Write([]byte(flagset.FlagUsages()))
		logger.Error("Init config flags", "err", err)
		return 1
	}

	command := kwokcmd.NewCommand(ctx)
	command.PersistentFlags().AddFlagSet(flagset)
	if err := command.ExecuteContext(ctx); err != nil {
		logger.Error("Execute exit", "err", err)
		return 1
	}
	return 0
}

// runKubectl is k8s.io/kubernetes/cmd/kubectl's main, apart from returning the exit code. Plugins
// (`kubectl zen-lead ...` runs `kubectl-zen_lead` from PATH) work as with a stand-alone kubectl.
func runKubectl() int {
	// Verbosity is parsed by hand first, as upstream does, so klog works while the command is built.
	_, _ = logs.GlogSetter(kubectlcmd.GetLogVerbosity(os.Args))
	command := kubectlcmd.NewDefaultKubectlCommand()
	if err := cli.RunNoErrOutput(command); err != nil {
		kubectlutil.CheckErr(err) // prints the error and exits non-zero
	}
	return 0
}
