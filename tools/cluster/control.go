package main

// Fault injection on a running cluster: the supervisor's control socket and the `ctl` subcommand
// (usage and protocol: the package doc, main.go).

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

type controlReply struct {
	OK    bool   `json:"ok"`
	Pid   int    `json:"pid,omitempty"`
	Error string `json:"error,omitempty"`
}

// current returns the latest incarnation of the named component (under s.mu).
func (s *supervisor) current(name string) *component {
	for i := len(s.comps) - 1; i >= 0; i-- {
		if s.comps[i].name == name {
			return s.comps[i]
		}
	}
	return nil
}

func running(c *component) bool {
	select {
	case <-c.done:
		return false
	default:
		return true
	}
}

// control performs one command; errors are for the caller.
func (s *supervisor) control(cmd, name string) (int, error) {
	s.mu.Lock()
	c := s.current(name)
	stopping := s.stopping
	s.mu.Unlock()
	if c == nil {
		return 0, fmt.Errorf("no component %q", name)
	}
	if stopping {
		return 0, errors.New("the cluster is being torn down")
	}
	signal := func(sig syscall.Signal) (int, error) {
		if !running(c) {
			return 0, fmt.Errorf("%s is not running", name)
		}
		return c.cmd.Process.Pid, c.cmd.Process.Signal(sig)
	}
	kill := func() {
		if !running(c) {
			return
		}
		s.mu.Lock()
		c.expectedExit = true
		s.mu.Unlock()
		_ = c.cmd.Process.Signal(syscall.SIGCONT) // a frozen process dies as well, but be explicit
		_ = c.cmd.Process.Kill()
		<-c.done
	}
	start := func() (int, error) {
		if running(c) {
			return c.cmd.Process.Pid, nil
		}
		if err := s.startComponent(name, c.args...); err != nil {
			return 0, err
		}
		s.mu.Lock()
		defer s.mu.Unlock()
		return s.current(name).cmd.Process.Pid, nil
	}
	switch cmd {
	case "kill":
		kill()
		logf("control: killed %s", name)
		return 0, nil
	case "stop":
		return signal(syscall.SIGSTOP)
	case "cont":
		return signal(syscall.SIGCONT)
	case "start":
		return start()
	case "restart":
		kill()
		return start()
	case "pid":
		if !running(c) {
			return 0, fmt.Errorf("%s is not running", name)
		}
		return c.cmd.Process.Pid, nil
	}
	return 0, fmt.Errorf("unknown command %q (kill, stop, cont, start, restart, pid)", cmd)
}

// serveControl accepts commands on path until the listener is closed.
func (s *supervisor) serveControl(path string) (net.Listener, error) {
	_ = os.Remove(path)
	l, err := net.Listen("unix", path)
	if err != nil {
		return nil, fmt.Errorf("control socket: %w", err)
	}
	_ = os.Chmod(path, 0o600)
	go func() {
		for {
			conn, err := l.Accept()
			if err != nil {
				return
			}
			go func() {
				defer conn.Close()
				_ = conn.SetDeadline(time.Now().Add(60 * time.Second))
				line, err := bufio.NewReader(conn).ReadString('\n')
				reply := controlReply{}
				fields := strings.Fields(line)
				if err != nil && line == "" {
					return
				}
				if len(fields) != 2 {
					reply.Error = "expected: COMMAND COMPONENT"
				} else if pid, err := s.control(fields[0], fields[1]); err != nil {
					reply.Error = err.Error()
				} else {
					reply.OK, reply.Pid = true, pid
				}
				b, _ := json.Marshal(reply)
				_, _ = conn.Write(append(b, '\n'))
			}()
		}
	}()
	return l, nil
}

// runCtl implements `ctl STATE_FILE|SOCKET COMMAND COMPONENT`: exit 0 and the pid (if any) on
// stdout when the supervisor did it, 1 with its reason on stderr otherwise, 2 on bad usage.
func runCtl() int {
	if len(os.Args) != 4 {
		fmt.Fprintln(os.Stderr, "usage: zen-lead-cluster ctl STATE_FILE|SOCKET kill|stop|cont|start|restart|pid COMPONENT")
		return 2
	}
	path := os.Args[1]
	if filepath.Ext(path) == ".json" {
		b, err := os.ReadFile(path)
		if err != nil {
			fmt.Fprintf(os.Stderr, "[cluster] ctl: %v\n", err)
			return 1
		}
		var st State
		if err := json.Unmarshal(b, &st); err != nil || st.ControlSocket == "" {
			fmt.Fprintf(os.Stderr, "[cluster] ctl: %s has no controlSocket\n", path)
			return 1
		}
		path = st.ControlSocket
	}
	conn, err := net.Dial("unix", path)
	if err != nil {
		fmt.Fprintf(os.Stderr, "[cluster] ctl: %v\n", err)
		return 1
	}
	defer conn.Close()
	if _, err := fmt.Fprintf(conn, "%s %s\n", os.Args[2], os.Args[3]); err != nil {
		fmt.Fprintf(os.Stderr, "[cluster] ctl: %v\n", err)
		return 1
	}
	var reply controlReply
	if err := json.NewDecoder(conn).Decode(&reply); err != nil {
		fmt.Fprintf(os.Stderr, "[cluster] ctl: no answer: %v\n", err)
		return 1
	}
	if !reply.OK {
		fmt.Fprintf(os.Stderr, "[cluster] ctl: %s\n", reply.Error)
		return 1
	}
	if reply.Pid != 0 {
		fmt.Println(reply.Pid)
	}
	return 0
}
