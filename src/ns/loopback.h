// loopback — a new network namespace's one device, brought up.
//
// A new network namespace has exactly one network device, the loopback
// `lo`, and it is down: even 127.0.0.1 is unreachable until it is brought
// up. The container's other devices (a veth to a bridge) come in chapter 10.
#pragma once

namespace berth::ns {

// Sets IFF_UP on `lo` in the calling process's network namespace, with the
// ioctls ifconfig(8) uses. Needs CAP_NET_ADMIN in the user namespace that
// owns the network namespace. Throws berth::Error: "bring up lo: ...".
void bring_up_loopback();

}  // namespace berth::ns
