// The one way src/pg includes PostgreSQL: C headers in an extern "C" block, after every C++ and
// src/core header (core headers refuse to be included after postgres.h, see core/cpp_only.hpp).
#pragma once

extern "C" {
#include "postgres.h"
#include "fmgr.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "access/xact.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "utils/builtins.h"
#include "utils/memutils.h"
#include "utils/timestamp.h"
}
