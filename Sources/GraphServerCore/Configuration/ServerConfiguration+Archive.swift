import GraphDatabase
import WALArchive

extension ServerConfiguration {
    /// `--archive` and the `--archive-*` flags, checked
    /// against each other and the storage layout. Parses the URL only: the
    /// store is made, and reached, once the server starts.
    ///
    /// `--replica-of` names the archive as `--archive` does, with the same
    /// `--archive-*` flags, for a server that follows it until promoted.
    static func resolveArchive(_ reader: SettingReader, storage: StorageLayout) throws(GraphServerError) -> ArchiveSettings? {
        let archiveURL = try reader.string(.archive)
        let replicaURL = try reader.string(.replicaOf)
        if archiveURL != nil && replicaURL != nil {
            throw reader.conflict(
                .replicaOf, .archive,
                "follows an archive that another server writes; once promoted, the replica writes that same archive")
        }
        let urlSetting: ServerSetting = replicaURL == nil ? .archive : .replicaOf
        let url = archiveURL ?? replicaURL
        let interval = try reader.duration(.archiveInterval, in: .milliseconds(10)...(.seconds(3600)))
        let maxLag = try reader.duration(.archiveMaxLag, in: .seconds(1)...(.seconds(7 * 86_400)))
        let keyFile = try reader.string(.archiveKeyFile)
        let retain = try reader.integer(.archiveRetain, in: 1...1_000_000)
        let retainFor = try reader.duration(.archiveRetainFor, in: .seconds(60)...(.seconds(3650 * 86_400)))
        let holder = try reader.string(.archiveHolder)
        let takesOver = try reader.flag(.archiveTakeOver)
        guard let url else {
            let given: [(ServerSetting, Bool)] = [
                (.archiveInterval, interval != nil), (.archiveMaxLag, maxLag != nil), (.archiveKeyFile, keyFile != nil),
                (.archiveRetain, retain != nil), (.archiveRetainFor, retainFor != nil), (.archiveHolder, holder != nil),
                (.archiveTakeOver, takesOver),
            ]
            if let (setting, _) = given.first(where: { $0.1 }) {
                throw GraphServerError(
                    .invalidConfiguration, "\(reader.source(setting)) needs \(ServerSetting.archive.flag), the archive to ship the log to")
            }
            return nil
        }
        let location: ArchiveLocation
        do {
            location = try ArchiveLocation(parsing: url)
        } catch let error as ArchiveError {
            throw reader.invalid(urlSetting, url, error.message)
        } catch {
            throw reader.invalid(urlSetting, url, "\(error)")
        }
        switch storage {
        case .inMemory:
            throw reader.conflict(urlSetting, .inMemory, "ships the log, which \(reader.source(.inMemory)) does not keep")
        case .explicit(.none, _, _):
            throw GraphServerError(
                .invalidConfiguration, "\(reader.source(urlSetting)) ships the log: pass \(ServerSetting.walDir.flag) too")
        case .dataDirectory, .explicit:
            break
        }
        if retainFor != nil && retain == nil {
            throw GraphServerError(
                .invalidConfiguration,
                "\(reader.source(.archiveRetainFor)) needs \(ServerSetting.archiveRetain.flag), the number of newest snapshots always kept")
        }
        var settings = ArchiveSettings(location: location, keyFile: keyFile, holder: holder, takesOver: takesOver)
        settings.isReplica = replicaURL != nil
        if let interval { settings.interval = interval }
        if let maxLag { settings.maxLag = maxLag }
        if let retain { settings.retention = RetentionPolicy(keepSnapshots: retain, keepFor: retainFor) }
        guard settings.maxLag >= settings.interval else {
            throw GraphServerError(
                .invalidConfiguration,
                "\(reader.source(.archiveMaxLag)) (\(SettingReader.describe(settings.maxLag))) must be at least \(reader.source(.archiveInterval)) (\(SettingReader.describe(settings.interval))): the archive would count as lagging between every two rounds")
        }
        return settings
    }
}
