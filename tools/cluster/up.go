package main

// The `up` and `supervise` subcommands (usage: the package doc, main.go): a supervisor starts
// etcd, kube-apiserver, kube-controller-manager, kube-scheduler and kwok, creates the Nodes, writes
// the state file once all work, and tears everything down on a signal.

import (
	"bytes"
	"crypto/rand"
	"crypto/rsa"
	"crypto/tls"
	"crypto/x509"
	"embed"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"net"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"k8s.io/component-base/version"
)

//go:embed kwok-stages/*.yaml
var kwokStages embed.FS

const defaultControllers = "garbage-collector-controller,deployment-controller,replicaset-controller," +
	"endpointslice-controller,endpoints-controller,namespace-controller,serviceaccount-controller," +
	"root-ca-certificate-publisher-controller,clusterrole-aggregation-controller"

// serviceCIDRs are the Service IP ranges, primary (IPv4) first. The data-plane harness reads them
// back from the ServiceCIDR object "kubernetes" to route them onto its node's bridge.
const serviceCIDRs = "10.96.0.0/16,fd00:10:96::/112"

// State is written (atomically) to the state file once the cluster is ready. Schema version 1.
type State struct {
	SchemaVersion     int               `json:"schemaVersion"`
	KubernetesVersion string            `json:"kubernetesVersion"`
	Dir               string            `json:"dir"`
	Kubeconfig        string            `json:"kubeconfig"`
	Server            string            `json:"server"`
	Token             string            `json:"token"`
	CAFile            string            `json:"caFile"`
	EtcdURL           string            `json:"etcdUrl"`
	LogDir            string            `json:"logDir"`
	SupervisorPid     int               `json:"supervisorPid"`
	Pgid              int               `json:"pgid"`
	Pids              map[string]int    `json:"pids"`
	Ports             map[string]int    `json:"ports"`
	Nodes             []string          `json:"nodes"`
	ManualNodes       []string          `json:"manualNodes"`
	Timings           map[string]string `json:"timings"`
	KeepDir           bool              `json:"keepDir"`
	// ControlSocket stops, freezes and restarts one component (control.go).
	ControlSocket string `json:"controlSocket"`
}

type upOptions struct {
	foreground  bool
	dir         string
	stateFile   string
	nodes       int
	manualNodes int
	watchPid    int
	timeout     time.Duration
	controllers string
	keepDir     bool
	readyFd     string // internal: supervisor reports "ok"/"fail" through this file
}

func parseUpFlags(name string, args []string) (*upOptions, error) {
	o := &upOptions{}
	fset := flag.NewFlagSet(name, flag.ContinueOnError)
	fset.BoolVar(&o.foreground, "foreground", false, "stay attached; Ctrl-C tears the cluster down")
	fset.StringVar(&o.dir, "dir", "", "working dir for data, certs, logs (default: a new temp dir)")
	fset.StringVar(&o.stateFile, "state-file", "", "where to write the state JSON (default DIR/state.json)")
	fset.IntVar(&o.nodes, "nodes", envInt("ZEN_LEAD_CLUSTER_NODES", 3), "kwok-managed fake nodes")
	fset.IntVar(&o.manualNodes, "manual-nodes", envInt("ZEN_LEAD_CLUSTER_MANUAL_NODES", 1), "Node objects NOT managed by kwok (tainted NoSchedule)")
	fset.IntVar(&o.watchPid, "watch-pid", 0, "tear down when this process exits (0: off)")
	fset.DurationVar(&o.timeout, "timeout", 180*time.Second, "startup timeout")
	fset.StringVar(&o.controllers, "controllers", envStr("ZEN_LEAD_CLUSTER_CONTROLLERS", defaultControllers), "kube-controller-manager --controllers")
	fset.BoolVar(&o.keepDir, "keep-dir", os.Getenv("ZEN_LEAD_CLUSTER_KEEP_DIR") == "1", "keep DIR (logs) after teardown")
	fset.StringVar(&o.readyFd, "ready-file", "", "internal")
	if err := fset.Parse(args); err != nil {
		return nil, err
	}
	if fset.NArg() > 0 {
		return nil, fmt.Errorf("unexpected arguments: %v", fset.Args())
	}
	return o, nil
}

func envInt(k string, def int) int {
	if v, err := strconv.Atoi(os.Getenv(k)); err == nil {
		return v
	}
	return def
}

func envStr(k, def string) string {
	if v := os.Getenv(k); v != "" {
		return v
	}
	return def
}

func logf(format string, a ...any) {
	fmt.Fprintf(os.Stderr, "[cluster] "+format+"\n", a...)
}

// runUp implements `up`: it is the supervisor (--foreground), or starts a detached one and waits
// until the cluster is ready (exit 0, the state file's path on stdout) or failed (exit 1).
func runUp() int {
	o, err := parseUpFlags("up", os.Args[1:])
	if err != nil {
		return 2
	}
	if err := prepareWorkDir(o); err != nil {
		logf("error: %v", err)
		return 1
	}
	if o.foreground {
		return supervise(o)
	}
	readyFile := filepath.Join(o.dir, "supervisor.ready")
	logPath := filepath.Join(o.dir, "supervisor.log")
	cmd, err := startSupervisor(o, readyFile, logPath)
	if err != nil {
		logf("error: %v", err)
		return 1
	}
	logf("supervisor pid %d, dir %s (progress: %s)", cmd.Process.Pid, o.dir, logPath)
	return awaitSupervisor(o, cmd, readyFile, logPath)
}

// prepareWorkDir creates --dir (default: a new temp dir), makes it and --state-file (default
// DIR/state.json) absolute, and removes a state file left from an earlier run.
func prepareWorkDir(o *upOptions) error {
	var err error
	if o.dir == "" {
		if o.dir, err = os.MkdirTemp("", "zen-lead-cluster-"); err != nil {
			return fmt.Errorf("cannot create temp dir: %w", err)
		}
	} else if err := os.MkdirAll(o.dir, 0o700); err != nil {
		return fmt.Errorf("cannot create %s: %w", o.dir, err)
	}
	o.dir, _ = filepath.Abs(o.dir)
	if o.stateFile == "" {
		o.stateFile = filepath.Join(o.dir, "state.json")
	}
	o.stateFile, _ = filepath.Abs(o.stateFile)
	_ = os.Remove(o.stateFile)
	return nil
}

// startSupervisor starts `supervise` with the same options, detached in its own session (the
// caller's terminal signals and exit don't reach it), its output in logPath; it writes "ok" or
// "fail" to readyFile.
func startSupervisor(o *upOptions, readyFile, logPath string) (*exec.Cmd, error) {
	self, err := os.Executable()
	if err != nil {
		return nil, err
	}
	_ = os.Remove(readyFile)
	args := []string{"supervise", "--dir", o.dir, "--state-file", o.stateFile,
		"--nodes", strconv.Itoa(o.nodes), "--manual-nodes", strconv.Itoa(o.manualNodes),
		"--watch-pid", strconv.Itoa(o.watchPid), "--timeout", o.timeout.String(),
		"--controllers", o.controllers, "--ready-file", readyFile}
	if o.keepDir {
		args = append(args, "--keep-dir")
	}
	logFile, err := os.Create(logPath)
	if err != nil {
		return nil, err
	}
	defer logFile.Close()
	devnull, _ := os.Open(os.DevNull)
	cmd := exec.Command(self, args...)
	cmd.Stdin = devnull
	cmd.Stdout = logFile
	cmd.Stderr = logFile
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("starting supervisor: %w", err)
	}
	return cmd, nil
}

// awaitSupervisor relays the supervisor's progress lines to stderr until it reports ready (exit 0,
// the state file's path on stdout), exits (1), or a signal arrives (the supervisor is told to tear
// down; 130).
func awaitSupervisor(o *upOptions, cmd *exec.Cmd, readyFile, logPath string) int {
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, syscall.SIGINT, syscall.SIGTERM, syscall.SIGHUP)

	stopTail := make(chan struct{})
	tailDone := make(chan struct{})
	go func() { tailFile(logPath, stopTail); close(tailDone) }()
	finish := func() { close(stopTail); <-tailDone }

	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case s := <-sigs:
			logf("got %v during startup: tearing down", s)
			_ = cmd.Process.Signal(syscall.SIGTERM)
			select {
			case <-exited:
			case <-time.After(30 * time.Second):
				_ = cmd.Process.Kill()
			}
			finish()
			return 130
		case err := <-exited:
			finish()
			if o.keepDir {
				logf("error: cluster failed to start (supervisor: %v); logs kept in %s", err, o.dir)
			} else {
				logf("error: cluster failed to start (supervisor: %v); rerun with --keep-dir (or ZEN_LEAD_CLUSTER_KEEP_DIR=1) to keep the logs", err)
			}
			return 1
		case <-tick.C:
			b, _ := os.ReadFile(readyFile)
			if strings.TrimSpace(string(b)) == "ok" {
				finish()
				_ = cmd.Process.Release()
				fmt.Println(o.stateFile)
				return 0
			}
		}
	}
}

// tailFile copies new content of path to stderr until stop is closed (then drains once more). The
// file is opened once, so content written before the supervisor removes the dir is still read.
func tailFile(path string, stop <-chan struct{}) {
	var f *os.File
	defer func() {
		if f != nil {
			f.Close()
		}
	}()
	drain := func() {
		if f == nil {
			var err error
			if f, err = os.Open(path); err != nil {
				return
			}
		}
		_, _ = io.Copy(os.Stderr, f)
	}
	for {
		select {
		case <-stop:
			drain()
			return
		case <-time.After(200 * time.Millisecond):
			drain()
		}
	}
}

func runSupervise() int {
	o, err := parseUpFlags("supervise", os.Args[1:])
	if err != nil {
		return 2
	}
	return supervise(o)
}

type component struct {
	name    string
	args    []string // to start it again the same way (control.go)
	cmd     *exec.Cmd
	logPath string
	done    chan struct{}
	err     error
	// expectedExit: stopped on purpose through the control socket, not a failure.
	expectedExit bool
}

type supervisor struct {
	o         *upOptions
	self      string
	mu        sync.Mutex
	comps     []*component
	pgid      int
	stopping  bool
	failed    chan *component
	start     time.Time
	logDir    string
	pkiDir    string
	ports     map[string]int
	token     string
	server    string
	etcdURL   string
	caFile    string
	kubecfg   string
	nodeNames []string
	manual    []string
	controlLn net.Listener
}

func supervise(o *upOptions) int {
	s := &supervisor{o: o, failed: make(chan *component, 8), start: time.Now()}
	var err error
	if s.self, err = os.Executable(); err != nil {
		logf("error: %v", err)
		return 1
	}
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, syscall.SIGINT, syscall.SIGTERM, syscall.SIGHUP)

	startErr := make(chan error, 1)
	go func() { startErr <- s.bringUp() }()

	var watch <-chan time.Time
	if o.watchPid > 0 {
		t := time.NewTicker(time.Second)
		defer t.Stop()
		watch = t.C
	}
	ready := false
	for {
		select {
		case sig := <-sigs:
			logf("got %v: tearing down", sig)
			s.teardown()
			if ready {
				return 0
			}
			return 130
		case err := <-startErr:
			if err != nil {
				logf("error: %v", err)
				s.teardown()
				s.writeReady("fail")
				return 1
			}
			ready = true
			s.writeReady("ok")
			if o.foreground {
				fmt.Println(o.stateFile)
				logf("cluster is up; press Ctrl-C to stop. Try:")
				logf("  export KUBECONFIG=%s", s.kubecfg)
				logf("  curl --cacert %s -H 'Authorization: Bearer %s' %s/api/v1/nodes", s.caFile, s.token, s.server)
			}
		case c := <-s.failed:
			if !ready {
				continue // bringUp notices via its wait loops
			}
			logf("WARNING: %s exited unexpectedly (%v); the cluster is degraded. Last lines of %s:", c.name, c.err, c.logPath)
			printTail(c.logPath, 30)
		case <-watch:
			if err := syscall.Kill(o.watchPid, 0); errors.Is(err, syscall.ESRCH) {
				logf("watched pid %d is gone: tearing down", o.watchPid)
				s.teardown()
				return 0
			}
		}
	}
}

func (s *supervisor) writeReady(v string) {
	if s.o.readyFd != "" {
		_ = os.WriteFile(s.o.readyFd, []byte(v+"\n"), 0o600)
	}
}

func freePorts(n int) ([]int, error) {
	var ls []net.Listener
	defer func() {
		for _, l := range ls {
			_ = l.Close()
		}
	}()
	var ports []int
	for i := 0; i < n; i++ {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, err
		}
		ls = append(ls, l)
		ports = append(ports, l.Addr().(*net.TCPAddr).Port)
	}
	return ports, nil
}

// startupTimings are how long the steps of bringUp took, from the supervisor's start.
type startupTimings struct {
	apiserverReadyz, nodesReady, ready time.Duration
}

// bringUp starts the control plane step by step, each step waiting (until --timeout) for what it
// started to work, then opens the control socket and writes the state file: its appearance is the
// signal that the cluster is ready.
func (s *supervisor) bringUp() error {
	deadline := time.Now().Add(s.o.timeout)
	var timings startupTimings
	if err := s.prepareDir(); err != nil {
		return err
	}
	if err := s.writeCredentials(); err != nil {
		return err
	}
	// For health endpoints before the CA is known: etcd's is plain HTTP, the others self-signed.
	insecure := &http.Client{Timeout: 3 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}}}
	if err := s.startEtcd(deadline, insecure); err != nil {
		return err
	}
	if err := s.startAPIServer(deadline, insecure); err != nil {
		return err
	}
	timings.apiserverReadyz = time.Since(s.start)
	logf("kube-apiserver ready at %s (%.1fs)", s.server, timings.apiserverReadyz.Seconds())
	api, err := s.writeKubeconfig()
	if err != nil {
		return err
	}
	if err := s.startAPIClients(); err != nil {
		return err
	}
	if err := s.createNodes(api); err != nil {
		return err
	}
	if err := s.waitNodesReady(deadline, api); err != nil {
		return err
	}
	timings.nodesReady = time.Since(s.start)
	logf("%d kwok nodes Ready (%.1fs)", len(s.nodeNames), timings.nodesReady.Seconds())
	if err := s.waitControllers(deadline, api, insecure); err != nil {
		return err
	}
	timings.ready = time.Since(s.start)
	logf("control plane ready (%.1fs)", timings.ready.Seconds())
	if s.controlLn, err = s.serveControl(filepath.Join(s.o.dir, "control.sock")); err != nil {
		return err
	}
	return s.writeState(timings)
}

// prepareDir creates the working dir's logs, pki and etcd dirs, and picks the components' ports.
func (s *supervisor) prepareDir() error {
	s.logDir = filepath.Join(s.o.dir, "logs")
	s.pkiDir = filepath.Join(s.o.dir, "pki")
	for _, d := range []string{s.logDir, s.pkiDir, filepath.Join(s.o.dir, "etcd")} {
		if err := os.MkdirAll(d, 0o700); err != nil {
			return err
		}
	}
	p, err := freePorts(7)
	if err != nil {
		return fmt.Errorf("allocating ports: %w", err)
	}
	s.ports = map[string]int{"etcdClient": p[0], "etcdPeer": p[1], "apiserver": p[2],
		"controllerManager": p[3], "scheduler": p[4], "kwokServer": p[5], "kwokNode": p[6]}
	return nil
}

// saKeyFile holds the service-account key (one RSA key for verifying and signing).
func (s *supervisor) saKeyFile() string { return filepath.Join(s.pkiDir, "sa.key") }

// tokenFile holds the static admin token (kube-apiserver --token-auth-file).
func (s *supervisor) tokenFile() string { return filepath.Join(s.pkiDir, "tokens.csv") }

// apiserverCertDir is kube-apiserver's --cert-dir, where it writes its self-signed serving cert.
func (s *supervisor) apiserverCertDir() string { return filepath.Join(s.pkiDir, "apiserver") }

// writeCredentials writes the service-account key and a new admin token (system:masters).
func (s *supervisor) writeCredentials() error {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return err
	}
	if err := os.WriteFile(s.saKeyFile(), pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(key)}), 0o600); err != nil {
		return err
	}
	tok := make([]byte, 24)
	_, _ = rand.Read(tok)
	s.token = hex.EncodeToString(tok)
	return os.WriteFile(s.tokenFile(), []byte(s.token+`,zen-lead-admin,zen-lead-admin,"system:masters"`+"\n"), 0o600)
}

// startEtcd starts etcd (no fsync: all state is throwaway) and waits for its /health.
func (s *supervisor) startEtcd(deadline time.Time, insecure *http.Client) error {
	s.etcdURL = fmt.Sprintf("http://127.0.0.1:%d", s.ports["etcdClient"])
	peer := fmt.Sprintf("http://127.0.0.1:%d", s.ports["etcdPeer"])
	if err := s.startComponent("etcd",
		"--name=zen-lead",
		"--data-dir="+filepath.Join(s.o.dir, "etcd"),
		"--listen-client-urls="+s.etcdURL, "--advertise-client-urls="+s.etcdURL,
		"--listen-peer-urls="+peer, "--initial-advertise-peer-urls="+peer,
		"--initial-cluster=zen-lead="+peer,
		"--unsafe-no-fsync", "--log-level=warn",
		"--quota-backend-bytes=2147483648",
	); err != nil {
		return err
	}
	if err := s.waitFor("etcd", deadline, func() bool {
		b, code := get(insecure, s.etcdURL+"/health", "")
		return code == 200 && bytes.Contains(b, []byte(`"true"`))
	}); err != nil {
		return err
	}
	logf("etcd healthy at %s (%.1fs)", s.etcdURL, time.Since(s.start).Seconds())
	return nil
}

// startAPIServer starts kube-apiserver on loopback and waits for its /readyz.
func (s *supervisor) startAPIServer(deadline time.Time, insecure *http.Client) error {
	s.server = fmt.Sprintf("https://127.0.0.1:%d", s.ports["apiserver"])
	if err := s.startComponent("kube-apiserver",
		"--etcd-servers="+s.etcdURL,
		"--bind-address=127.0.0.1", "--advertise-address=127.0.0.1",
		"--secure-port="+strconv.Itoa(s.ports["apiserver"]),
		"--cert-dir="+s.apiserverCertDir(),
		"--service-account-issuer=https://kubernetes.default.svc.cluster.local",
		"--service-account-key-file="+s.saKeyFile(), "--service-account-signing-key-file="+s.saKeyFile(),
		// Dual-stack: IPv4 first (Services default to it), IPv6 for PreferDualStack/RequireDualStack.
		"--service-cluster-ip-range="+serviceCIDRs,
		"--authorization-mode=RBAC",
		"--token-auth-file="+s.tokenFile(),
		"--endpoint-reconciler-type=none",
		// No node-lifecycle controller runs, so nothing would ever lift the not-ready taint this
		// plugin puts on new Nodes; pods would never schedule onto the kwok nodes.
		"--disable-admission-plugins=TaintNodesByCondition",
		"--allow-privileged=true",
		"--profiling=false",
		"--v=1",
	); err != nil {
		return err
	}
	return s.waitFor("kube-apiserver", deadline, func() bool {
		_, code := get(insecure, s.server+"/readyz", s.token)
		return code == 200
	})
}

// writeKubeconfig writes the CA bundle and the admin kubeconfig, and returns an HTTP client that
// verifies the API server against that CA.
func (s *supervisor) writeKubeconfig() (*http.Client, error) {
	// CA bundle: the self-signed serving cert written to --cert-dir contains the cert and its CA.
	crt, err := os.ReadFile(filepath.Join(s.apiserverCertDir(), "apiserver.crt"))
	if err != nil {
		return nil, fmt.Errorf("reading apiserver serving cert: %w", err)
	}
	s.caFile = filepath.Join(s.pkiDir, "ca.crt")
	if err := os.WriteFile(s.caFile, crt, 0o600); err != nil {
		return nil, err
	}
	s.kubecfg = filepath.Join(s.o.dir, "kubeconfig")
	kc := fmt.Sprintf(`apiVersion: v1
kind: Config
clusters:
- name: zen-lead
  cluster:
    server: %s
    certificate-authority-data: %s
users:
- name: zen-lead-admin
  user:
    token: %s
contexts:
- name: zen-lead
  context:
    cluster: zen-lead
    user: zen-lead-admin
    namespace: default
current-context: zen-lead
`, s.server, base64.StdEncoding.EncodeToString(crt), s.token)
	if err := os.WriteFile(s.kubecfg, []byte(kc), 0o600); err != nil {
		return nil, err
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(crt)
	return &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}, nil
}

// startAPIClients starts the API server's clients: kube-controller-manager (--controllers),
// kube-scheduler and kwok (which plays the kubelet of the Nodes annotated kwok.x-k8s.io/node=fake).
func (s *supervisor) startAPIClients() error {
	if err := s.startComponent("kube-controller-manager",
		"--kubeconfig="+s.kubecfg,
		"--leader-elect=false",
		"--controllers="+s.o.controllers,
		"--bind-address=127.0.0.1", "--secure-port="+strconv.Itoa(s.ports["controllerManager"]),
		"--cert-dir="+filepath.Join(s.pkiDir, "kube-controller-manager"),
		"--service-account-private-key-file="+s.saKeyFile(),
		"--root-ca-file="+s.caFile,
		"--v=1",
	); err != nil {
		return err
	}
	if err := s.startComponent("kube-scheduler",
		"--kubeconfig="+s.kubecfg,
		"--leader-elect=false",
		"--bind-address=127.0.0.1", "--secure-port="+strconv.Itoa(s.ports["scheduler"]),
		"--v=1",
	); err != nil {
		return err
	}
	stageFile := filepath.Join(s.o.dir, "kwok-stages.yaml")
	if err := writeStages(stageFile); err != nil {
		return err
	}
	return s.startComponent("kwok",
		"--kubeconfig="+s.kubecfg,
		"--config="+stageFile,
		"--manage-all-nodes=false",
		"--manage-nodes-with-annotation-selector=kwok.x-k8s.io/node=fake",
		"--cidr=10.244.0.0/16",
		"--node-ip=10.0.0.1",
		"--node-port="+strconv.Itoa(s.ports["kwokNode"]),
		"--server-address=127.0.0.1:"+strconv.Itoa(s.ports["kwokServer"]),
	)
}

// nodeZones are the topology.kubernetes.io/zone values Nodes get, round-robin.
var nodeZones = []string{"zone-a", "zone-b", "zone-c"}

// createNodes creates --nodes kwok-managed Nodes (kwok-node-N) and --manual-nodes Nodes nobody
// manages (manual-node-N, tainted zen-lead.io/manual:NoSchedule so nothing schedules there).
func (s *supervisor) createNodes(api *http.Client) error {
	for i := 0; i < s.o.nodes; i++ {
		name := fmt.Sprintf("kwok-node-%d", i)
		s.nodeNames = append(s.nodeNames, name)
		node := map[string]any{
			"apiVersion": "v1", "kind": "Node",
			"metadata": map[string]any{
				"name":        name,
				"annotations": map[string]string{"kwok.x-k8s.io/node": "fake", "node.alpha.kubernetes.io/ttl": "0"},
				"labels": map[string]string{
					"kubernetes.io/hostname": name, "kubernetes.io/os": "linux", "kubernetes.io/arch": "amd64",
					"type": "kwok", "topology.kubernetes.io/zone": nodeZones[i%len(nodeZones)],
				},
			},
		}
		if err := postJSON(api, s.server+"/api/v1/nodes", s.token, node); err != nil {
			return fmt.Errorf("creating node %s: %w", name, err)
		}
	}
	for i := 0; i < s.o.manualNodes; i++ {
		name := fmt.Sprintf("manual-node-%d", i)
		s.manual = append(s.manual, name)
		node := map[string]any{
			"apiVersion": "v1", "kind": "Node",
			"metadata": map[string]any{
				"name": name,
				"labels": map[string]string{
					"kubernetes.io/hostname": name, "kubernetes.io/os": "linux", "type": "manual",
					"topology.kubernetes.io/zone": nodeZones[i%len(nodeZones)],
				},
			},
			"spec": map[string]any{"taints": []map[string]string{{"key": "zen-lead.io/manual", "value": "true", "effect": "NoSchedule"}}},
		}
		if err := postJSON(api, s.server+"/api/v1/nodes", s.token, node); err != nil {
			return fmt.Errorf("creating node %s: %w", name, err)
		}
	}
	return nil
}

// waitNodesReady waits until kwok reports every kwok-managed Node Ready.
func (s *supervisor) waitNodesReady(deadline time.Time, api *http.Client) error {
	if err := s.waitFor("kwok", deadline, func() bool {
		for _, n := range s.nodeNames {
			b, code := get(api, s.server+"/api/v1/nodes/"+n, s.token)
			if code != 200 || !nodeReady(b) {
				return false
			}
		}
		return true
	}); err != nil {
		return fmt.Errorf("nodes not Ready: %w", err)
	}
	return nil
}

// waitControllers waits until kube-controller-manager works (it created the default
// ServiceAccount) and kube-scheduler answers /healthz.
func (s *supervisor) waitControllers(deadline time.Time, api, insecure *http.Client) error {
	if err := s.waitFor("kube-controller-manager", deadline, func() bool {
		_, code := get(api, s.server+"/api/v1/namespaces/default/serviceaccounts/default", s.token)
		return code == 200
	}); err != nil {
		return fmt.Errorf("serviceaccount default/default never appeared: %w", err)
	}
	return s.waitFor("kube-scheduler", deadline, func() bool {
		_, code := get(insecure, fmt.Sprintf("https://127.0.0.1:%d/healthz", s.ports["scheduler"]), "")
		return code == 200
	})
}

// writeState writes the state file atomically (a temp file renamed into place).
func (s *supervisor) writeState(timings startupTimings) error {
	s.mu.Lock()
	pids := map[string]int{}
	for _, c := range s.comps {
		pids[c.name] = c.cmd.Process.Pid
	}
	s.mu.Unlock()
	st := State{
		SchemaVersion: 1, KubernetesVersion: version.Get().GitVersion,
		Dir: s.o.dir, Kubeconfig: s.kubecfg, Server: s.server, Token: s.token, CAFile: s.caFile,
		EtcdURL: s.etcdURL, LogDir: s.logDir, SupervisorPid: os.Getpid(), Pgid: s.pgid,
		Pids: pids, Ports: s.ports, Nodes: s.nodeNames, ManualNodes: s.manual, KeepDir: s.o.keepDir,
		ControlSocket: filepath.Join(s.o.dir, "control.sock"),
		Timings: map[string]string{
			"apiserverReadyz": fmt.Sprintf("%.2fs", timings.apiserverReadyz.Seconds()),
			"nodesReady":      fmt.Sprintf("%.2fs", timings.nodesReady.Seconds()),
			"ready":           fmt.Sprintf("%.2fs", timings.ready.Seconds()),
		},
	}
	if st.Nodes == nil {
		st.Nodes = []string{}
	}
	if st.ManualNodes == nil {
		st.ManualNodes = []string{}
	}
	b, _ := json.MarshalIndent(st, "", "  ")
	tmp := s.o.stateFile + ".tmp"
	if err := os.WriteFile(tmp, append(b, '\n'), 0o600); err != nil {
		return err
	}
	return os.Rename(tmp, s.o.stateFile)
}

func nodeReady(b []byte) bool {
	var n struct {
		Status struct {
			Conditions []struct{ Type, Status string } `json:"conditions"`
		} `json:"status"`
	}
	if json.Unmarshal(b, &n) != nil {
		return false
	}
	for _, c := range n.Status.Conditions {
		if c.Type == "Ready" {
			return c.Status == "True"
		}
	}
	return false
}

func writeStages(path string) error {
	var out bytes.Buffer
	err := fs.WalkDir(kwokStages, "kwok-stages", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := kwokStages.ReadFile(p)
		if err != nil {
			return err
		}
		out.WriteString("---\n")
		out.Write(b)
		if !bytes.HasSuffix(b, []byte("\n")) {
			out.WriteByte('\n')
		}
		return nil
	})
	if err != nil {
		return err
	}
	return os.WriteFile(path, out.Bytes(), 0o600)
}

// startComponent runs `self <name> args...` with its output in logs/<name>.log. All components share
// one process group (led by the first one), and die with the supervisor (Pdeathsig).
func (s *supervisor) startComponent(name string, args ...string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.stopping {
		return errors.New("stopping")
	}
	logPath := filepath.Join(s.logDir, name+".log")
	// Appended to, so a restarted component's log follows its previous life's.
	f, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return err
	}
	defer f.Close()
	cmd := exec.Command(s.self, append([]string{name}, args...)...)
	cmd.Dir = s.o.dir
	cmd.Stdout = f
	cmd.Stderr = f
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pgid: s.pgid, Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("starting %s: %w", name, err)
	}
	if s.pgid == 0 {
		s.pgid = cmd.Process.Pid
	}
	c := &component{name: name, args: args, cmd: cmd, logPath: logPath, done: make(chan struct{})}
	s.comps = append(s.comps, c)
	logf("started %s (pid %d), log %s", name, cmd.Process.Pid, logPath)
	go func() {
		c.err = cmd.Wait()
		close(c.done)
		s.mu.Lock()
		expected := s.stopping || c.expectedExit
		s.mu.Unlock()
		if !expected {
			s.failed <- c
		}
	}()
	return nil
}

// waitFor polls ok until it returns true; fails early (with the log tail) if the component died.
func (s *supervisor) waitFor(name string, deadline time.Time, ok func() bool) error {
	var c *component
	s.mu.Lock()
	for _, x := range s.comps {
		if x.name == name {
			c = x
		}
	}
	s.mu.Unlock()
	for {
		if ok() {
			return nil
		}
		s.mu.Lock()
		stopping := s.stopping
		s.mu.Unlock()
		if stopping {
			return errors.New("stopping")
		}
		if c != nil {
			select {
			case <-c.done:
				logf("%s exited during startup (%v). Last lines of %s:", name, c.err, c.logPath)
				printTail(c.logPath, 40)
				return fmt.Errorf("%s exited during startup: %v (log: %s)", name, c.err, c.logPath)
			default:
			}
		}
		if time.Now().After(deadline) {
			if c != nil {
				logf("timed out waiting for %s. Last lines of %s:", name, c.logPath)
				printTail(c.logPath, 40)
				return fmt.Errorf("timed out after %s waiting for %s (log: %s)", s.o.timeout, name, c.logPath)
			}
			return fmt.Errorf("timed out after %s waiting for %s", s.o.timeout, name)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

func printTail(path string, n int) {
	b, err := os.ReadFile(path)
	if err != nil {
		return
	}
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	for _, l := range lines {
		fmt.Fprintf(os.Stderr, "    | %s\n", l)
	}
}

// teardown stops the components in reverse start order, in stages (clients of the apiserver, then
// the apiserver, then etcd: stopping etcd first makes the apiserver hang in shutdown), each with
// SIGTERM and a short grace period before SIGKILL (all state is throwaway), then removes the working
// dir unless --keep-dir.
func (s *supervisor) teardown() {
	s.mu.Lock()
	s.stopping = true
	comps := append([]*component(nil), s.comps...)
	s.mu.Unlock()
	if s.controlLn != nil {
		_ = s.controlLn.Close()
	}
	t0 := time.Now()
	stage := func(names ...string) {
		var cs []*component
		for i := len(comps) - 1; i >= 0; i-- {
			for _, n := range names {
				if comps[i].name == n {
					cs = append(cs, comps[i])
				}
			}
		}
		for _, c := range cs {
			_ = c.cmd.Process.Signal(syscall.SIGTERM)
			_ = c.cmd.Process.Signal(syscall.SIGCONT) // one frozen by the control socket
		}
		grace := time.After(5 * time.Second)
		for _, c := range cs {
			select {
			case <-c.done:
				logf("%s stopped (%.1fs)", c.name, time.Since(t0).Seconds())
			case <-grace:
				logf("%s did not stop within 5s of SIGTERM: killing", c.name)
				for _, c := range cs {
					_ = c.cmd.Process.Kill()
				}
				<-c.done
			}
		}
	}
	stage("kwok", "kube-scheduler", "kube-controller-manager")
	stage("kube-apiserver")
	stage("etcd")
	if s.pgid != 0 {
		_ = syscall.Kill(-s.pgid, syscall.SIGKILL) // anything left in the group
	}
	if !s.o.keepDir {
		if err := os.RemoveAll(s.o.dir); err != nil {
			logf("warning: removing %s: %v", s.o.dir, err)
		}
	} else {
		logf("kept %s", s.o.dir)
	}
	logf("torn down (%.1fs)", time.Since(t0).Seconds())
}

func get(c *http.Client, url, token string) ([]byte, int) {
	req, _ := http.NewRequest(http.MethodGet, url, nil)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := c.Do(req)
	if err != nil {
		return nil, 0
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return b, resp.StatusCode
}

func postJSON(c *http.Client, url, token string, body any) error {
	b, _ := json.Marshal(body)
	var lastErr error
	for attempt := 0; attempt < 20; attempt++ {
		req, _ := http.NewRequest(http.MethodPost, url, bytes.NewReader(b))
		req.Header.Set("Authorization", "Bearer "+token)
		req.Header.Set("Content-Type", "application/json")
		resp, err := c.Do(req)
		if err != nil {
			lastErr = err
		} else {
			rb, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode == 201 || resp.StatusCode == 200 || resp.StatusCode == 409 {
				return nil
			}
			lastErr = fmt.Errorf("HTTP %d: %s", resp.StatusCode, strings.TrimSpace(string(rb)))
		}
		time.Sleep(250 * time.Millisecond)
	}
	return lastErr
}
