// Image assembly checks (see image_assembly.hpp).
#include "core/image_assembly.hpp"

namespace devicewake::core {

std::vector<std::int64_t> MissingChunks(std::int64_t total_chunks,
                                        const std::vector<std::int64_t>& received) {
  std::vector<std::int64_t> missing;
  if (total_chunks <= 0) return missing;
  std::vector<bool> seen(static_cast<std::size_t>(total_chunks), false);
  for (std::int64_t index : received) {
    if (index >= 0 && index < total_chunks) seen[static_cast<std::size_t>(index)] = true;
  }
  for (std::int64_t i = 0; i < total_chunks; ++i) {
    if (!seen[static_cast<std::size_t>(i)]) missing.push_back(i);
  }
  return missing;
}

std::string CheckChunkIndex(std::int64_t chunk_id, std::int64_t total_chunks) {
  try {
    if (chunk_id < 0) return "chunk_id " + std::to_string(chunk_id) + " is negative";
    if (chunk_id >= total_chunks) {
      return "chunk_id " + std::to_string(chunk_id) + " is out of range for " +
             std::to_string(total_chunks) + " chunks";
    }
    return {};
  } catch (...) {
    return "out of memory while checking a chunk index";
  }
}

std::string CheckJpeg(std::string_view bytes, std::int64_t expected_size) {
  try {
    auto byte = [&](std::size_t i) { return static_cast<unsigned char>(bytes[i]); };
    if (expected_size >= 0 && static_cast<std::int64_t>(bytes.size()) != expected_size) {
      return "assembled image is " + std::to_string(bytes.size()) + " bytes, expected " +
             std::to_string(expected_size);
    }
    if (bytes.size() < 5)
      return "assembled image is too short to be a JPEG (" + std::to_string(bytes.size()) +
             " bytes)";
    if (byte(0) != 0xFF || byte(1) != 0xD8 || byte(2) != 0xFF)
      return "assembled image does not start with the JPEG marker FF D8 FF";
    if (byte(bytes.size() - 2) != 0xFF || byte(bytes.size() - 1) != 0xD9) {
      return "assembled image does not end with the JPEG end marker FF D9";
    }
    return {};
  } catch (...) {
    return "out of memory while checking an image";
  }
}

}  // namespace devicewake::core
