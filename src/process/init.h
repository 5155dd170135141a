// init — the smallest useful PID 1: reap every child, forward signals.
//
// The first process of a PID namespace (chapter 03) gets two duties no other
// process has. Orphans are handed to it, and when they end they stay zombies
// (entries in the process table) until it reaps them. And the kernel gives it
// no default signal actions: a SIGTERM that it does not handle is ignored, so
// a program that never expected to be PID 1 cannot be stopped with `kill`.
// run_init() takes both duties so the container's command does not have to:
// it is what tini, dumb-init and `docker run --init` do.
#pragma once

#include "process/process.h"

namespace berth::process {

// Runs `command` under a minimal init, and returns the command's exit code
// (as Child::wait() reports it) as soon as the command has ended.
//
// Meanwhile it reaps every child that ends, the orphans handed to us as well
// as the command, and forwards SIGINT, SIGTERM and SIGHUP to the command.
// Without a PID namespace of its own it asks to be a "child subreaper"
// (prctl PR_SET_CHILD_SUBREAPER): orphans among its descendants then come to
// it instead of to the host's PID 1. Descendants still running when the
// command ends are not waited for: in a PID namespace the kernel kills them
// when PID 1 exits; here they pass on to the next subreaper up. The calling
// process stays a subreaper: it is meant to exit when run_init() returns.
//
// Throws berth::Error when the command cannot be started (as spawn() does) or
// the init itself fails.
int run_init(const SpawnOptions& command);

}  // namespace berth::process
