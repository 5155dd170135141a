// Docker's seccomp profile format, read with nlohmann-json.
//
// A profile may come from anyone (`--seccomp FILE`, an OCI bundle, an
// image's labels), so it is parsed as untrusted input: every value is
// checked for its type and range, and an error names where in the document
// it is ("syscalls[3].args[0].index"), which is what a person fixing the
// file needs to know.
#include <sys/utsname.h>

#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "common/error.h"
#include "security/seccomp.h"

namespace berth::security::seccomp {
namespace {

using nlohmann::json;

// Where in the document we are, for errors: "syscalls[3].action".
class Parser {
 public:
  explicit Parser(std::string_view source) : source_(source) {}

  [[noreturn]] void fail(const std::string& path, const std::string& reason) const {
    throw Error("seccomp profile", source_ + ": " + path, reason);
  }

  const json& member(const json& object, const std::string& path, const char* key) const {
    if (!object.contains(key)) fail(path + key, "missing");
    return object.at(key);
  }

  std::string string(const json& value, const std::string& path) const {
    if (!value.is_string()) fail(path, "expected a string, got " + type(value));
    return value.get<std::string>();
  }

  std::uint64_t number(const json& value, const std::string& path) const {
    if (!value.is_number_unsigned()) {
      fail(path, "expected a non-negative integer, got " + type(value));
    }
    return value.get<std::uint64_t>();
  }

  const json& array(const json& value, const std::string& path) const {
    if (!value.is_array()) fail(path, "expected an array, got " + type(value));
    return value;
  }

  const json& object(const json& value, const std::string& path) const {
    if (!value.is_object()) fail(path, "expected an object, got " + type(value));
    return value;
  }

  Action action(const json& value, const std::string& path) const {
    static const std::pair<std::string_view, Action> kActions[] = {
        {"SCMP_ACT_ALLOW", Action::allow},
        {"SCMP_ACT_ERRNO", Action::errno_code},
        {"SCMP_ACT_KILL", Action::kill_thread},
        {"SCMP_ACT_KILL_THREAD", Action::kill_thread},
        {"SCMP_ACT_KILL_PROCESS", Action::kill_process},
        {"SCMP_ACT_TRAP", Action::trap},
        {"SCMP_ACT_TRACE", Action::trace},
        {"SCMP_ACT_LOG", Action::log},
    };
    const std::string name = string(value, path);
    for (const auto& [known, action] : kActions) {
      if (name == known) return action;
    }
    fail(path, "unknown action \"" + name + "\"");
  }

  Compare compare(const json& value, const std::string& path) const {
    static const std::pair<std::string_view, Compare> kOps[] = {
        {"SCMP_CMP_NE", Compare::ne},
        {"SCMP_CMP_LT", Compare::lt},
        {"SCMP_CMP_LE", Compare::le},
        {"SCMP_CMP_EQ", Compare::eq},
        {"SCMP_CMP_GE", Compare::ge},
        {"SCMP_CMP_GT", Compare::gt},
        {"SCMP_CMP_MASKED_EQ", Compare::masked_eq},
    };
    const std::string name = string(value, path);
    for (const auto& [known, op] : kOps) {
      if (name == known) return op;
    }
    fail(path, "unknown operator \"" + name + "\"");
  }

  int errno_ret(const json& value, const std::string& path) const {
    const std::uint64_t n = number(value, path);
    if (n > 4095) fail(path, "errno " + std::to_string(n) + " out of range (0-4095)");
    return static_cast<int>(n);
  }

  ArgCondition arg(const json& value, const std::string& path) const {
    object(value, path);
    ArgCondition condition;
    const std::uint64_t index = number(member(value, path, "index"), path + ".index");
    if (index > 5) fail(path + ".index", "argument index " + std::to_string(index) + " above 5");
    condition.index = static_cast<unsigned>(index);
    condition.value = number(member(value, path, "value"), path + ".value");
    if (value.contains("valueTwo")) {
      condition.value_two = number(value.at("valueTwo"), path + ".valueTwo");
    }
    condition.op = compare(member(value, path, "op"), path + ".op");
    return condition;
  }

  std::vector<Capability> caps(const json& value, const std::string& path) const {
    std::vector<Capability> result;
    const json& list = array(value, path);
    for (std::size_t i = 0; i < list.size(); ++i) {
      const std::string item = path + "[" + std::to_string(i) + "]";
      const std::string name = string(list[i], item);
      try {
        result.push_back(capability_from_name(name));
      } catch (const Error&) {
        fail(item, "unknown capability \"" + name + "\"");
      }
    }
    return result;
  }

  // Docker's "includes"/"excludes": {"caps": [...], "arches": [...],
  // "minKernel": "4.8"}. Returns false when the rule cannot apply here
  // (another architecture).
  bool conditions(const json& rule, const std::string& path, Rule& result) const {
    bool here = true;
    for (const char* key : {"includes", "excludes"}) {
      if (!rule.contains(key)) continue;
      const std::string where = path + key;
      const json& filter = object(rule.at(key), where);
      const bool include = std::string_view{key} == "includes";
      if (filter.contains("caps")) {
        (include ? result.includes_caps : result.excludes_caps) =
            caps(filter.at("caps"), where + ".caps");
      }
      if (filter.contains("arches")) {
        bool listed = false;
        const json& arches = array(filter.at("arches"), where + ".arches");
        for (std::size_t i = 0; i < arches.size(); ++i) {
          listed |= is_our_arch(string(arches[i], where + ".arches[" + std::to_string(i) + "]"));
        }
        if (listed != include) here = false;
      }
      if (filter.contains("minKernel")) string(filter.at("minKernel"), where + ".minKernel");
    }
    return here;
  }

  Rule rule(const json& value, const std::string& path, bool& keep) const {
    object(value, path);
    Rule result;
    const std::string prefix = path + ".";
    if (value.contains("names")) {
      const json& names = array(value.at("names"), prefix + "names");
      for (std::size_t i = 0; i < names.size(); ++i) {
        result.names.push_back(string(names[i], prefix + "names[" + std::to_string(i) + "]"));
      }
    } else if (value.contains("name")) {  // the older format: one name
      result.names.push_back(string(value.at("name"), prefix + "name"));
    } else {
      fail(prefix + "names", "missing");
    }
    result.action = action(member(value, prefix, "action"), prefix + "action");
    if (value.contains("errnoRet")) {
      result.errno_ret = errno_ret(value.at("errnoRet"), prefix + "errnoRet");
    }
    if (value.contains("args") && !value.at("args").is_null()) {
      const json& args = array(value.at("args"), prefix + "args");
      if (args.size() > 6) fail(prefix + "args", "more than 6 conditions");
      for (std::size_t i = 0; i < args.size(); ++i) {
        result.args.push_back(arg(args[i], prefix + "args[" + std::to_string(i) + "]"));
      }
    }
    keep = conditions(value, prefix, result);
    return result;
  }

  Profile profile(const json& document) const {
    object(document, "(document)");
    Profile result;
    result.default_action = action(member(document, "", "defaultAction"), "defaultAction");
    if (document.contains("defaultErrnoRet")) {
      result.default_errno_ret = errno_ret(document.at("defaultErrnoRet"), "defaultErrnoRet");
    }
    if (document.contains("syscalls") && !document.at("syscalls").is_null()) {
      const json& rules = array(document.at("syscalls"), "syscalls");
      for (std::size_t i = 0; i < rules.size(); ++i) {
        bool keep = true;
        Rule parsed = rule(rules[i], "syscalls[" + std::to_string(i) + "]", keep);
        if (keep) result.rules.push_back(std::move(parsed));
      }
    }
    return result;
  }

 private:
  static std::string type(const json& value) { return value.type_name(); }

  // Docker names architectures as Go does ("amd64") or as libseccomp does
  // ("SCMP_ARCH_X86_64").
  static bool is_our_arch(std::string_view arch) {
    struct utsname machine {};
    ::uname(&machine);
    const std::string_view ours = machine.machine;
    if (ours == "x86_64") return arch == "amd64" || arch == "SCMP_ARCH_X86_64";
    if (ours == "aarch64") return arch == "arm64" || arch == "SCMP_ARCH_AARCH64";
    return arch == ours;
  }

  std::string source_;
};

}  // namespace

Profile parse_profile(std::string_view text, std::string_view source) {
  const Parser parser{source};
  // No exceptions from the JSON parser itself (allow_exceptions = false):
  // a syntax error becomes a discarded value, reported in our words.
  const json document = json::parse(text, nullptr, false);
  if (document.is_discarded()) parser.fail("(document)", "not valid JSON");
  return parser.profile(document);
}

Profile load_profile_file(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw Error("open seccomp profile", path, errno);
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) throw Error("read seccomp profile", path, errno);
  return parse_profile(text.str(), path);
}

}  // namespace berth::security::seccomp
