// Cost of parsing one chunk message (bench/parse.sh): ParseInbound on a 1 KB chunk as the
// firmware sends it (its base64 payload cut out before JSON parsing, CutTopLevelString), against
// two baselines in the same process: the same message with one character of its device_id
// written as a \u escape, which ParseInbound parses whole as it did before the cut, and
// nlohmann::json::parse of the message alone (no checks, no base64).
// Usage: parse_probe [ITERATIONS]
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <nlohmann/json.hpp>
#include <string>

#include "core/base64.hpp"
#include "core/inbound_message.hpp"

using devicewake::core::InboundKind;
using devicewake::core::InboundLimits;
using devicewake::core::ParseInbound;
using Clock = std::chrono::steady_clock;

namespace {

std::string Message(const std::string& device_id, const std::string& payload) {
  return "{\"device_id\":\"" + device_id +
         "\",\"image_name\":\"image_1234.jpg\",\"chunk_id\":17,\"max_chunk_size\":1024,"
         "\"payload\":\"" +
         payload + "\"}";
}

template <typename F>
double MicrosPerCall(int n, F&& f) {
  auto t0 = Clock::now();
  for (int i = 0; i < n; ++i) f();
  return std::chrono::duration<double, std::micro>(Clock::now() - t0).count() / n;
}

}  // namespace

int main(int argc, char** argv) {
  int n = argc > 1 ? std::atoi(argv[1]) : 200000;
  std::string bytes(1024, '\0');
  for (int i = 0; i < 1024; ++i) bytes[i] = static_cast<char>(i * 7 + 3);
  const std::string payload = devicewake::core::EncodeBase64(bytes);
  const std::string mac = "BE0000000001";
  const std::string cut = Message(mac, payload), whole = Message("BE000000000\\u0031", payload);
  InboundLimits limits;
  std::size_t sink = 0;
  auto parse = [&](const std::string& text) {
    return [&]() { sink += ParseInbound(InboundKind::kData, mac, text, limits).index(); };
  };
  // check that both are parsed as chunks with the same bytes before timing them
  auto a = ParseInbound(InboundKind::kData, mac, cut, limits);
  auto b = ParseInbound(InboundKind::kData, mac, whole, limits);
  const auto* ca = std::get_if<devicewake::core::Chunk>(&a);
  const auto* cb = std::get_if<devicewake::core::Chunk>(&b);
  if (!ca || !cb || ca->bytes != bytes || cb->bytes != bytes) {
    std::fprintf(stderr, "parse_probe: the messages did not parse as the same chunk\n");
    return 1;
  }
  double t_whole = MicrosPerCall(n, parse(whole));
  double t_cut = MicrosPerCall(n, parse(cut));
  double t_json = MicrosPerCall(n, [&]() { sink += nlohmann::json::parse(cut).size(); });
  std::printf("chunk message of %zu bytes, %d iterations each\n", cut.size(), n);
  std::printf("bench parse_cut_us=%.2f parse_whole_us=%.2f json_parse_only_us=%.2f\n", t_cut,
              t_whole, t_json);
  std::printf("ratio whole/cut=%.2f json_parse_only/cut=%.2f (checksum %zu)\n", t_whole / t_cut,
              t_json / t_cut, sink % 10);
  return 0;
}
