// The device allow list on cgroup v2: a BPF program, written by hand.
//
// cgroup v2 has no devices controller. Instead, a program of type
// BPF_PROG_TYPE_CGROUP_DEVICE is attached to the cgroup, and the kernel runs
// it on every open or mknod of a device node by a process in the cgroup,
// with r1 pointing at
//
//     struct bpf_cgroup_dev_ctx { u32 access_type; u32 major; u32 minor; };
//
// where access_type is (access << 16) | type: type BPF_DEVCG_DEV_CHAR (2) or
// BPF_DEVCG_DEV_BLOCK (1), access a mask of BPF_DEVCG_ACC_MKNOD (1), _READ
// (2) and _WRITE (4). The program returns 1 to allow, 0 to deny (EPERM).
//
// runc and crun assemble the same program instruction by instruction; so
// does this file, because it is short, and because reading it is the best
// way to see what eBPF is: a small register machine the kernel verifies
// (no loops, no out-of-bounds reads) before it agrees to run it.
#include <linux/bpf.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <vector>

#include "common/error.h"
#include "security/devices.h"

namespace berth::security {
namespace {

// The few instructions we need, in eBPF's encoding (linux/bpf.h,
// Documentation/bpf/instruction-set.rst): an opcode, two registers, a
// 16-bit jump offset, a 32-bit immediate.
bpf_insn insn(std::uint8_t code, std::uint8_t dst, std::uint8_t src, std::int16_t off,
              std::int32_t imm) {
  bpf_insn i{};
  i.code = code;
  i.dst_reg = dst & 0xf;
  i.src_reg = src & 0xf;
  i.off = off;
  i.imm = imm;
  return i;
}
// dst = *(u32 *)(src + off)
bpf_insn load_u32(std::uint8_t dst, std::uint8_t src, std::int16_t off) {
  return insn(BPF_LDX | BPF_MEM | BPF_W, dst, src, off, 0);
}
bpf_insn mov_reg(std::uint8_t dst, std::uint8_t src) {
  return insn(BPF_ALU64 | BPF_MOV | BPF_X, dst, src, 0, 0);
}
bpf_insn mov_imm(std::uint8_t dst, std::int32_t imm) {
  return insn(BPF_ALU64 | BPF_MOV | BPF_K, dst, 0, 0, imm);
}
bpf_insn and_imm(std::uint8_t dst, std::int32_t imm) {
  return insn(BPF_ALU | BPF_AND | BPF_K, dst, 0, 0, imm);
}
bpf_insn rsh_imm(std::uint8_t dst, std::int32_t imm) {
  return insn(BPF_ALU | BPF_RSH | BPF_K, dst, 0, 0, imm);
}
// if dst != imm: skip `off` instructions
bpf_insn jne_imm(std::uint8_t dst, std::int32_t imm, std::int16_t off) {
  return insn(BPF_JMP | BPF_JNE | BPF_K, dst, 0, off, imm);
}
// if dst != src: skip `off` instructions
bpf_insn jne_reg(std::uint8_t dst, std::uint8_t src, std::int16_t off) {
  return insn(BPF_JMP | BPF_JNE | BPF_X, dst, src, off, 0);
}
bpf_insn exit_insn() {
  return insn(BPF_JMP | BPF_EXIT, 0, 0, 0, 0);
}

std::int32_t access_mask(const std::string& access) {
  std::int32_t mask = 0;
  for (const char c : access) {
    if (c == 'm') mask |= BPF_DEVCG_ACC_MKNOD;
    if (c == 'r') mask |= BPF_DEVCG_ACC_READ;
    if (c == 'w') mask |= BPF_DEVCG_ACC_WRITE;
  }
  return mask;
}

// One rule: a run of tests, each jumping past the block when the request
// does not match, then "return allow". Registers (set by the prologue):
// r2 = type, r3 = access, r4 = major, r5 = minor.
std::vector<bpf_insn> rule_block(const DeviceRule& rule) {
  std::vector<bpf_insn> block;
  // Jumps are written with offset 0 and patched once the length is known.
  if (rule.type != 'a') {
    block.push_back(jne_imm(2, rule.type == 'b' ? BPF_DEVCG_DEV_BLOCK : BPF_DEVCG_DEV_CHAR, 0));
  }
  const std::int32_t mask = access_mask(rule.access);
  if (mask != (BPF_DEVCG_ACC_MKNOD | BPF_DEVCG_ACC_READ | BPF_DEVCG_ACC_WRITE)) {
    // The request must ask for nothing outside the rule's access:
    // (access & mask) == access.
    block.push_back(mov_reg(1, 3));
    block.push_back(and_imm(1, mask));
    block.push_back(jne_reg(1, 3, 0));
  }
  if (rule.major >= 0) block.push_back(jne_imm(4, static_cast<std::int32_t>(rule.major), 0));
  if (rule.minor >= 0) block.push_back(jne_imm(5, static_cast<std::int32_t>(rule.minor), 0));
  block.push_back(mov_imm(0, rule.allow ? 1 : 0));
  block.push_back(exit_insn());
  for (std::size_t i = 0; i < block.size(); ++i) {
    if (BPF_CLASS(block[i].code) == BPF_JMP && BPF_OP(block[i].code) == BPF_JNE) {
      block[i].off = static_cast<std::int16_t>(block.size() - i - 1);
    }
  }
  return block;
}

// #region device-program
std::vector<bpf_insn> device_program(const std::vector<DeviceRule>& rules) {
  std::vector<bpf_insn> program = {
      load_u32(2, 1, 0),   // r2 = ctx->access_type
      and_imm(2, 0xffff),  // r2 = the device type
      load_u32(3, 1, 0),   // r3 = ctx->access_type
      rsh_imm(3, 16),      // r3 = the access asked for
      load_u32(4, 1, 4),   // r4 = ctx->major
      load_u32(5, 1, 8),   // r5 = ctx->minor
  };
  // Last rule first, so the last rule that matches decides, as with
  // devices.allow and devices.deny written in order on v1.
  const std::vector<DeviceRule> last_first(rules.rbegin(), rules.rend());
  for (const auto& rule : last_first) {
    const auto block = rule_block(rule);
    program.insert(program.end(), block.begin(), block.end());
  }
  program.push_back(mov_imm(0, 0));  // no rule matched: deny
  program.push_back(exit_insn());
  return program;
}
// #endregion device-program

long bpf(int command, bpf_attr& attr) {
  return ::syscall(SYS_bpf, command, &attr, sizeof attr);
}

// Loads the program into the kernel, whose verifier checks it first.
UniqueFd load_program(const std::vector<bpf_insn>& program) {
  static const char kLicense[] = "GPL";
  bpf_attr load{};
  load.prog_type = BPF_PROG_TYPE_CGROUP_DEVICE;
  load.insns = reinterpret_cast<std::uint64_t>(program.data());
  load.insn_cnt = static_cast<std::uint32_t>(program.size());
  load.license = reinterpret_cast<std::uint64_t>(kLicense);
  UniqueFd fd{static_cast<int>(bpf(BPF_PROG_LOAD, load))};
  if (fd) return fd;
  const int error = errno;
  // Refused: ask again with a log, for the verifier's explanation. (Not
  // the first time: a log that overflows its buffer fails the load.)
  std::array<char, 16384> log{};
  load.log_buf = reinterpret_cast<std::uint64_t>(log.data());
  load.log_size = static_cast<std::uint32_t>(log.size());
  load.log_level = 1;
  static_cast<void>(bpf(BPF_PROG_LOAD, load));
  if (error == EACCES && log[0] != '\0') {
    throw Error("bpf BPF_PROG_LOAD", "device program", log.data());
  }
  throw Error("bpf BPF_PROG_LOAD", "device program", error);
}

}  // namespace

UniqueFd attach_device_program_v2(int cgroup_dir_fd, const std::vector<DeviceRule>& rules) {
  UniqueFd fd = load_program(device_program(rules));

  // BPF_F_ALLOW_MULTI: programs attached to the cgroup's ancestors keep
  // running too, and a process must pass all of them.
  bpf_attr attach{};
  attach.target_fd = static_cast<std::uint32_t>(cgroup_dir_fd);
  attach.attach_bpf_fd = static_cast<std::uint32_t>(fd.get());
  attach.attach_type = BPF_CGROUP_DEVICE;
  attach.attach_flags = BPF_F_ALLOW_MULTI;
  check(bpf(BPF_PROG_ATTACH, attach), "bpf BPF_PROG_ATTACH", "cgroup device program");
  return fd;
}

}  // namespace berth::security
