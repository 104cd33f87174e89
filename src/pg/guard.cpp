// Implementation of the error boundary helpers declared in guard.hpp.
#include "pg/guard.hpp"

#include <cstring>
#include <new>

namespace devicewake::pg {
namespace {

void CopyText(char* destination, std::size_t size, const std::string& text) noexcept {
  std::size_t n = text.size() < size - 1 ? text.size() : size - 1;
  std::memcpy(destination, text.data(), n);
  destination[n] = '\0';
}

}  // namespace

void CaptureCurrentException(ErrorReport* report) noexcept {
  report->sqlstate = ERRCODE_INTERNAL_ERROR;
  report->message[0] = report->detail[0] = report->hint[0] = '\0';
  try {
    throw;
  } catch (const SqlError& e) {
    report->sqlstate = e.sqlstate();
    CopyText(report->message, sizeof report->message, e.message());
    CopyText(report->detail, sizeof report->detail, e.detail());
    CopyText(report->hint, sizeof report->hint, e.hint());
  } catch (const std::bad_alloc&) {
    report->sqlstate = ERRCODE_OUT_OF_MEMORY;
    CopyText(report->message, sizeof report->message, "out of memory in pg_devicewake");
  } catch (const std::exception& e) {
    CopyText(report->message, sizeof report->message,
             std::string("internal error in pg_devicewake: ") + e.what());
  } catch (...) {
    CopyText(report->message, sizeof report->message, "unknown internal error in pg_devicewake");
  }
}

void RaiseReport(const ErrorReport& report) {
  ereport(ERROR, (errcode(report.sqlstate), errmsg_internal("%s", report.message),
                  report.detail[0] ? errdetail_internal("%s", report.detail) : 0,
                  report.hint[0] ? errhint("%s", report.hint) : 0));
  pg_unreachable();
}

void ThrowPendingPgError(MemoryContext context) {
  MemoryContextSwitchTo(context);
  ErrorData* edata = CopyErrorData();
  FlushErrorState();
  SqlError error(edata->sqlerrcode, edata->message ? edata->message : "",
                 edata->detail ? edata->detail : "", edata->hint ? edata->hint : "");
  FreeErrorData(edata);
  throw error;
}

}  // namespace devicewake::pg
