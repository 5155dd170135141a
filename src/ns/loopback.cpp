// Bringing up lo with SIOCGIFFLAGS and SIOCSIFFLAGS.
#include "ns/loopback.h"

#include <net/if.h>
#include <sys/ioctl.h>
#include <sys/socket.h>

#include <cstring>

#include "common/error.h"
#include "common/fd.h"

namespace berth::ns {

void bring_up_loopback() {
  // #lab 03 loopback: Bring up lo in the new network namespace.
  // #hint netdevice(7)'s ioctls need a socket, any: socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0).
  // #hint Put "lo" in an ifreq's ifr_name; SIOCGIFFLAGS reads its flags into ifr_flags.
  // #hint Add IFF_UP to ifr_flags and set them with SIOCSIFFLAGS; check() each call.
  // #region loopback
  // netdevice(7)'s ioctls act on the namespace of the socket they are
  // made on, and any socket will do; netlink is the modern way (chapter 10).
  const UniqueFd socket{static_cast<int>(
      check(::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0), "bring up lo", "socket"))};
  ifreq request{};
  std::strncpy(request.ifr_name, "lo", IFNAMSIZ - 1);
  check(::ioctl(socket.get(), SIOCGIFFLAGS, &request), "bring up", "lo (SIOCGIFFLAGS)");
  request.ifr_flags = static_cast<short>(request.ifr_flags | IFF_UP);
  check(::ioctl(socket.get(), SIOCSIFFLAGS, &request), "bring up", "lo (SIOCSIFFLAGS)");
  // #endregion loopback
  // #endlab
}

}  // namespace berth::ns
