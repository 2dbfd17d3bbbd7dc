#pragma once

// The database schema, as an ordered list of forward-only migrations. The
// number of the last migration applied is kept in PRAGMA user_version.

#include <span>
#include <string_view>

#include "infrastructure/persistence/sqlite.hpp"

namespace fixit::infrastructure::persistence {

struct Migration {
  int version;
  std::string_view description;
  std::string_view sql;
};

// Every migration, oldest first; version numbers are 1, 2, 3...
std::span<const Migration> migrations();

// The schema version this program writes.
int latest_schema_version();

// Brings the database up to latest_schema_version(), each migration in its own
// transaction together with its user_version. Refuses (DatabaseError) a
// database written by a newer program, and changes nothing in that case.
// Returns the version found before migrating.
int apply_migrations(Connection& connection);

int schema_version(Connection& connection);

}  // namespace fixit::infrastructure::persistence
