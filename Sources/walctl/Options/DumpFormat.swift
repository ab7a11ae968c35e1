import ArgumentParser

/// How `walctl dump` prints records.
enum DumpFormat: String, ExpressibleByArgument, CaseIterable {
    /// One `key=value` line per record, for people and grep.
    case text
    /// One JSON object per line (JSON Lines), for programs.
    case jsonl
}
