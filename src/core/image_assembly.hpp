// Image assembly checks: which chunks of an image are still missing, whether a chunk index fits
// the image, and whether assembled bytes look like a whole JPEG. Pure C++; never throws (except
// std::bad_alloc from MissingChunks' result); any thread may call these.
#pragma once
#include "core/cpp_only.hpp"

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace devicewake::core {

// The indexes in [0, total_chunks) not in received, sorted ascending. received may be unsorted,
// contain duplicates and out-of-range values (ignored). total_chunks <= 0 gives an empty list.
// Throws only std::bad_alloc.
std::vector<std::int64_t> MissingChunks(std::int64_t total_chunks,
                                        const std::vector<std::int64_t>& received);

// Empty string when chunk_id is in [0, total_chunks), otherwise the reason.
std::string CheckChunkIndex(std::int64_t chunk_id, std::int64_t total_chunks);

// Empty string when bytes start with the JPEG SOI marker and a segment (FF D8 FF) and end with the
// EOI marker (FF D9); otherwise the reason. When expected_size >= 0 the length must equal it.
std::string CheckJpeg(std::string_view bytes, std::int64_t expected_size = -1);

}  // namespace devicewake::core
