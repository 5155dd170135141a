// Reading compressed archives: gzip is checked against the CRC-32 and the
// length in its trailer, to the last byte, through files and pipes. The
// archives are made by GNU tar and gzip, as a user's would be.
#include <archive_entry.h>
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <random>
#include <string>
#include <thread>

#include <catch2/catch.hpp>

#include "common/error.h"
#include "common/fd.h"
#include "overlay/archive.h"
#include "support/support.h"

using namespace berth;
using namespace berth::test;

namespace {

// What a reader finds in an archive: each entry's path and its data.
std::string contents(overlay::ArchiveReader& reader) {
  std::string listing;
  while (archive_entry* entry = reader.next()) {
    listing += archive_entry_pathname(entry);
    listing += " '";
    for (auto block = reader.read_block(); !block.bytes.empty(); block = reader.read_block()) {
      listing.append(reinterpret_cast<const char*>(block.bytes.data()), block.bytes.size());
    }
    listing += "'\n";
  }
  return listing;
}

std::string contents(const fs::path& archive) {
  overlay::ArchiveReader reader(archive);
  return contents(reader);
}

// A tar of two files: a text, and 256 KiB that do not compress, so gzip
// stores them as they are ("stored" deflate blocks): a flipped byte there
// still inflates, and only the checksum can tell.
struct Fixture {
  TempDir tmp;
  fs::path tar = tmp / "files.tar";
  std::string gzip;  // the tar, gzip'ed

  Fixture() {
    fs::create_directories(tmp / "files");
    write_file(tmp / "files/hello", "hello\n");
    std::mt19937 random(7);
    std::string noise(std::size_t{256} * 1024, '\0');
    std::ranges::generate(noise, [&random] { return static_cast<char>(random()); });
    write_file(tmp / "files/noise", noise);
    REQUIRE(run({"tar", "-C", (tmp / "files").string(), "-cf", tar.string(), "."}).exit_code == 0);
    const CommandResult gzipped = run({"gzip", "-c", tar.string()});
    REQUIRE(gzipped.exit_code == 0);
    gzip = gzipped.out;
  }

  fs::path write(const std::string& name, const std::string& bytes) const {
    write_file(tmp / name, bytes);
    return tmp / name;
  }
};

void flip(std::string& bytes, std::size_t at) {
  bytes.at(at) = static_cast<char>(~bytes.at(at));
}

}  // namespace

TEST_CASE("archive: a gzip archive reads as the tar inside it", "[archive][gzip]") {
  const Fixture f;
  const std::string expected = contents(f.tar);
  CHECK(contents(f.write("files.tar.gz", f.gzip)) == expected);
  // pigz, or `cat a.gz b.gz`: several gzip members read as one stream.
  const std::string whole = read_file(f.tar);
  RunOptions first;
  first.input = whole.substr(0, 5000);
  RunOptions second;
  second.input = whole.substr(5000);
  const std::string members = run({"gzip", "-c"}, first).out + run({"gzip", "-c"}, second).out;
  CHECK(contents(f.write("members.tar.gz", members)) == expected);
  // bsdtar pads what it writes to a pipe with zeros, and gzip(1) accepts them.
  CHECK(contents(f.write("padded.tar.gz",
                         f.gzip + std::string(10240 - f.gzip.size() % 10240, '\0'))) == expected);
}

TEST_CASE("archive: damage that still inflates is caught by the gzip checksum", "[archive][gzip]") {
  const Fixture f;
  // The middle of the noise, stored as it is: inflate cannot notice the flip.
  std::string damaged = f.gzip;
  const std::size_t at = f.gzip.size() / 2;
  flip(damaged, at);
  CHECK_THROWS_WITH(
      contents(f.write("damaged.tar.gz", damaged)),
      Catch::Contains("gzip data: corrupt") && Catch::Contains("incorrect data check"));

  // The trailer: CRC-32, then the length modulo 2^32, little-endian.
  std::string crc = f.gzip;
  flip(crc, crc.size() - 8);
  CHECK_THROWS_WITH(contents(f.write("crc.tar.gz", crc)), Catch::Contains("incorrect data check"));
  std::string length = f.gzip;
  flip(length, length.size() - 1);
  CHECK_THROWS_WITH(contents(f.write("length.tar.gz", length)),
                    Catch::Contains("incorrect length check"));
}

TEST_CASE("archive: a gzip archive that ends early or goes on after its end is refused",
          "[archive][gzip]") {
  const Fixture f;
  // The tar's end marker is whole; only the trailer is missing.
  const fs::path truncated = f.write("truncated.tar.gz", f.gzip.substr(0, f.gzip.size() - 4));
  CHECK_THROWS_WITH(contents(truncated),
                    Catch::StartsWith("read " + truncated.string() + ": at offset ") &&
                        Catch::Contains("truncated: the file ends inside a gzip member"));
  const fs::path trailing = f.write("trailing.tar.gz", f.gzip + std::string(3, '\0') + "junk");
  CHECK_THROWS_WITH(contents(trailing),
                    Catch::Contains("unexpected bytes after the end of the gzip stream, at byte " +
                                    std::to_string(f.gzip.size() + 3)));
}

TEST_CASE("archive: a gzip archive reads from a pipe that hands it over a byte at first",
          "[archive][gzip]") {
  const Fixture f;
  int ends[2];
  REQUIRE(::pipe2(ends, O_CLOEXEC) == 0);
  const UniqueFd read_end{ends[0]};
  UniqueFd write_end{ends[1]};
  // A pipe big enough for all of it: the writer never waits for the reader.
  REQUIRE(::fcntl(write_end.get(), F_SETPIPE_SZ, 1 << 20) >= static_cast<int>(f.gzip.size()));
  // One byte of the two-byte magic number, then (a moment later) the rest.
  std::thread writer([&f, fd = std::move(write_end)] {
    write_all(fd.get(), f.gzip.substr(0, 1), "pipe");
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    write_all(fd.get(), f.gzip.substr(1), "pipe");
  });
  std::string listing;
  std::string error;
  try {
    overlay::ArchiveReader reader(read_end.get(), "pipe");
    listing = contents(reader);
  } catch (const std::exception& e) {
    error = e.what();
  }
  writer.join();
  CHECK(error.empty());
  CHECK(listing == contents(f.tar));
}
