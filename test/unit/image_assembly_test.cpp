// Unit tests of image assembly checks: missing chunk lists, chunk index bounds, JPEG markers.
#include "core/image_assembly.hpp"

#include <gtest/gtest.h>

using namespace devicewake::core;

TEST(ImageAssembly, MissingChunksSortedIgnoringDuplicatesAndStrays) {
  using V = std::vector<std::int64_t>;
  EXPECT_EQ(MissingChunks(5, V{}), (V{0, 1, 2, 3, 4}));
  EXPECT_EQ(MissingChunks(5, V{4, 0, 2, 2, -1, 7, 99}), (V{1, 3}));
  EXPECT_EQ(MissingChunks(3, V{2, 1, 0}), V{});
  EXPECT_EQ(MissingChunks(0, V{0}), V{});
  EXPECT_EQ(MissingChunks(-3, V{}), V{});
  V received;
  for (std::int64_t i = 0; i < 69; ++i) {
    if (i != 5 && i != 10 && i != 23) received.insert(received.begin(), i);
  }
  EXPECT_EQ(MissingChunks(69, received), (V{5, 10, 23}));
}

TEST(ImageAssembly, ChunkIndexBounds) {
  EXPECT_EQ(CheckChunkIndex(0, 1), "");
  EXPECT_EQ(CheckChunkIndex(68, 69), "");
  EXPECT_EQ(CheckChunkIndex(69, 69), "chunk_id 69 is out of range for 69 chunks");
  EXPECT_EQ(CheckChunkIndex(-1, 69), "chunk_id -1 is negative");
  EXPECT_EQ(CheckChunkIndex(0, 0), "chunk_id 0 is out of range for 0 chunks");
}

TEST(ImageAssembly, JpegMarkers) {
  const std::string jpeg("\xFF\xD8\xFF\xE0\x00\x10JFIF\x00\xFF\xD9", 13);
  EXPECT_EQ(CheckJpeg(jpeg), "");
  EXPECT_EQ(CheckJpeg(jpeg, 13), "");
  EXPECT_EQ(CheckJpeg(jpeg, 14), "assembled image is 13 bytes, expected 14");
  EXPECT_EQ(CheckJpeg(""), "assembled image is too short to be a JPEG (0 bytes)");
  EXPECT_EQ(CheckJpeg(std::string("\xFF\xD8\xFF\xD9", 4)),
            "assembled image is too short to be a JPEG (4 bytes)");
  EXPECT_EQ(CheckJpeg(std::string("\x89PNG\r\n\x1a\n\xFF\xD9", 10)),
            "assembled image does not start with the JPEG marker FF D8 FF");
  EXPECT_EQ(CheckJpeg(std::string("\xFF\xD8\xFF\xE0\x00\x10JFIF\x00\x00", 12)),
            "assembled image does not end with the JPEG end marker FF D9");
}
