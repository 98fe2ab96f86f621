//go:build !linux

package redisserver

import "os/exec"

// setParentDeathSignal does nothing here: only Linux has a parent-death
// signal. The child is killed on every exit this process controls.
func setParentDeathSignal(*exec.Cmd) {}
