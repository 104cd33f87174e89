// Image names as devices send them ("image_3.jpg"): the checks applied before a name is stored or
// echoed back to a device in a command body. Pure C++; never throws; any thread may call it.
#pragma once
#include "core/cpp_only.hpp"

#include <cstddef>
#include <string>
#include <string_view>

namespace devicewake::core {

inline constexpr std::size_t kDefaultMaxImageNameLength = 200;

// Returns an empty string when name is acceptable, otherwise the reason. Accepted: 1..max_length
// bytes of printable ASCII (0x20..0x7e) except / \ " ' ` < > | * ? ; not starting or ending with a
// space, not starting with '.' (so never "." or ".."), no control bytes, no non-ASCII bytes.
std::string ValidateImageName(std::string_view name,
                              std::size_t max_length = kDefaultMaxImageNameLength);

}  // namespace devicewake::core
