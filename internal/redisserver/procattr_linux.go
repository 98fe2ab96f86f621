package redisserver

import (
	"os/exec"
	"syscall"
)

// setParentDeathSignal makes the child die with this process, even when it
// is killed without a chance to clean up.
func setParentDeathSignal(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
