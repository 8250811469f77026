//go:build windows

// Command service is a SAMPLE stand-in for the VSC service, used as the
// payload of the example VSC packages. It is not the real product: it
// registers with the Service Control Manager, reports itself running, and
// stops when asked, which is enough to prove that an install registered
// and started the service.
package main

import (
	"fmt"
	"os"
	"time"

	"golang.org/x/sys/windows/svc"
)

// version is set by the Makefile (-ldflags "-X main.version=...").
var version = "0.0.0"

// handler is the whole service: running until told to stop.
type handler struct{}

func (handler) Execute(_ []string, req <-chan svc.ChangeRequest, status chan<- svc.Status) (bool, uint32) {
	const accepted = svc.AcceptStop | svc.AcceptShutdown
	status <- svc.Status{State: svc.StartPending}
	status <- svc.Status{State: svc.Running, Accepts: accepted}
	for r := range req {
		switch r.Cmd {
		case svc.Interrogate:
			status <- r.CurrentStatus
			// Windows wants the interrogate answer twice, a moment apart.
			time.Sleep(100 * time.Millisecond)
			status <- r.CurrentStatus
		case svc.Stop, svc.Shutdown:
			status <- svc.Status{State: svc.StopPending}
			return false, 0
		}
	}
	return false, 0
}

func main() {
	// The service name is ignored for an own-process service: the SCM
	// knows which service it started. Run fails when the program was not
	// started by the SCM, e.g. from a console.
	if err := svc.Run("", handler{}); err != nil {
		fmt.Fprintf(os.Stderr, "SAMPLE VSC service %s: not started by the Service Control Manager: %v\n", version, err)
		os.Exit(2)
	}
}
