import GraphDatabase
import WALArchive

extension ServerConfiguration {
    /// `--archive`, `--archive-interval` and `--archive-max-lag`, checked
    /// against each other and the storage layout. Parses the URL only: the
    /// store is made, and reached, once the server starts.
    static func resolveArchive(_ reader: SettingReader, storage: StorageLayout) throws(GraphServerError) -> ArchiveSettings? {
        let url = try reader.string(.archive)
        let interval = try reader.duration(.archiveInterval, in: .milliseconds(10)...(.seconds(3600)))
        let maxLag = try reader.duration(.archiveMaxLag, in: .seconds(1)...(.seconds(7 * 86_400)))
        guard let url else {
            let given: [(ServerSetting, Duration?)] = [(.archiveInterval, interval), (.archiveMaxLag, maxLag)]
            if let (setting, _) = given.first(where: { $0.1 != nil }) {
                throw GraphServerError(
                    .invalidConfiguration, "\(reader.source(setting)) needs \(ServerSetting.archive.flag), the archive to ship the log to")
            }
            return nil
        }
        let location: ArchiveLocation
        do {
            location = try ArchiveLocation(parsing: url)
        } catch let error as ArchiveError {
            throw reader.invalid(.archive, url, error.message)
        } catch {
            throw reader.invalid(.archive, url, "\(error)")
        }
        switch storage {
        case .inMemory:
            throw reader.conflict(.archive, .inMemory, "ships the log, which \(reader.source(.inMemory)) does not keep")
        case .explicit(.none, _, _):
            throw GraphServerError(
                .invalidConfiguration, "\(reader.source(.archive)) ships the log: pass \(ServerSetting.walDir.flag) too")
        case .dataDirectory, .explicit:
            break
        }
        var settings = ArchiveSettings(location: location)
        if let interval { settings.interval = interval }
        if let maxLag { settings.maxLag = maxLag }
        guard settings.maxLag >= settings.interval else {
            throw GraphServerError(
                .invalidConfiguration,
                "\(reader.source(.archiveMaxLag)) (\(SettingReader.describe(settings.maxLag))) must be at least \(reader.source(.archiveInterval)) (\(SettingReader.describe(settings.interval))): the archive would count as lagging between every two rounds")
        }
        return settings
    }
}
