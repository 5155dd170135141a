// berth-uml-launch — start user-mode Linux on a host whose CPU has AVX-512.
//
//   berth-uml-launch /usr/bin/linux.uml ARGS...
//
// Why this exists: UML 6.1 saves and restores its processes' registers
// through ptrace with a buffer the size of the legacy XSAVE area. On a CPU
// with AVX-512 the host kernel insists on its full XSAVE size and refuses
// (EFAULT): UML panics at its first user process ("ptrace set fp regs
// failed, errno = 14"). UML only takes that path when PTRACE_GETREGSET
// NT_X86_XSTATE works at boot, so we make that one request fail with a
// seccomp filter, and UML falls back to PTRACE_GETFPREGS, which works
// everywhere. The filter matches nothing else, and is inherited by UML's
// helper processes, where it matches nothing either.
//
// The price: UML then keeps only the SSE part of its processes' registers,
// not the AVX part, so a program using AVX computes garbage under it.
// scripts/uml-run.sh tells glibc (GLIBC_TUNABLES) to use SSE only.
#include <elf.h>
#include <seccomp.h>
#include <sys/ptrace.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

int main(int argc, char** argv) {
  if (argc < 2) {
    static_cast<void>(std::fprintf(stderr, "usage: berth-uml-launch LINUX.UML [ARGS...]\n"));
    return 2;
  }
  // ptrace(PTRACE_GETREGSET, any pid, NT_X86_XSTATE, ...) fails with EIO.
  const scmp_arg_cmp request{
      .arg = 0, .op = SCMP_CMP_EQ, .datum_a = PTRACE_GETREGSET, .datum_b = 0};
  const scmp_arg_cmp regset{.arg = 2, .op = SCMP_CMP_EQ, .datum_a = NT_X86_XSTATE, .datum_b = 0};
  const scmp_arg_cmp args[] = {request, regset};
  scmp_filter_ctx filter = seccomp_init(SCMP_ACT_ALLOW);
  if (filter == nullptr ||
      seccomp_rule_add_array(filter, SCMP_ACT_ERRNO(EIO), SCMP_SYS(ptrace), 2, args) != 0 ||
      seccomp_load(filter) != 0) {
    static_cast<void>(std::fprintf(stderr, "berth-uml-launch: seccomp filter failed\n"));
    return 1;
  }
  seccomp_release(filter);
  execv(argv[1], argv + 1);
  static_cast<void>(
      std::fprintf(stderr, "berth-uml-launch: exec %s: %s\n", argv[1], std::strerror(errno)));
  return 127;
}
