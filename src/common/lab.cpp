#include "common/lab.h"

#include "common/error.h"

namespace berth {

void lab_not_implemented(std::string_view lab_and_task) {
  throw Error(lab_and_task, "", "not implemented");
}

}  // namespace berth
