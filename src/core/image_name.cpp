// Image name checks (see image_name.hpp).
#include "core/image_name.hpp"

#include <cstring>

#include "core/device_id.hpp"

namespace devicewake::core {

std::string ValidateImageName(std::string_view name, std::size_t max_length) {
  try {
    if (name.empty()) return "image_name must not be empty";
    if (name.size() > max_length) {
      return "image_name is " + std::to_string(name.size()) +
             " bytes long, more than the limit of " + std::to_string(max_length);
    }
    if (name.front() == '.') return "image_name must not start with '.'";
    if (name.front() == ' ' || name.back() == ' ')
      return "image_name must not start or end with a space";
    for (char c : name) {
      unsigned char u = static_cast<unsigned char>(c);
      if (u < 0x20 || u > 0x7e) {
        return "image_name \"" + PrintableExcerpt(name) + "\" contains a control or non-ASCII byte";
      }
      if (std::strchr("/\\\"'`<>|*?", c) != nullptr) {
        return "image_name \"" + PrintableExcerpt(name) + "\" contains the forbidden character '" +
               std::string(1, c) + "'";
      }
    }
    return {};
  } catch (...) {
    return "out of memory while checking image_name";
  }
}

}  // namespace devicewake::core
