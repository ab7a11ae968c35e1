import Testing
import WALArchive

@Suite("Archive URLs")
struct ArchiveLocationTests {
    @Test("s3://bucket/prefix names the bucket and a prefix without slashes at its ends")
    func s3() throws {
        let location = try ArchiveLocation(parsing: "s3://my-bucket/team/db1/")
        #expect(location.kind == .s3(bucket: "my-bucket"))
        #expect(location.prefix == "team/db1")
        let bare = try ArchiveLocation(parsing: "s3://my.bucket")
        #expect(bare.kind == .s3(bucket: "my.bucket"))
        #expect(bare.prefix == "")
    }

    @Test("file:///path is a directory archive with an empty prefix")
    func file() throws {
        let location = try ArchiveLocation(parsing: "file:///srv/archive/")
        #expect(location.kind == .directory(path: "/srv/archive"))
        #expect(location.prefix == "")
    }

    @Test("bad URLs are refused, naming what is wrong", arguments: [
        ("http://bucket/x", "starts with s3:// or file://"),
        ("s3://", "bucket name"),
        ("s3://Upper/x", "bucket name"),
        ("s3://ab/x", "bucket name"),
        ("s3://-bucket/x", "bucket name"),
        ("s3://bucket/a//b", "prefix"),
        ("s3://bucket/a/../b", "prefix"),
        ("file://relative/path", "absolute path"),
    ])
    func refused(url: String, words: String) {
        do {
            _ = try ArchiveLocation(parsing: url)
            Issue.record("\(url) was accepted")
        } catch let error as ArchiveError {
            #expect(error.code == .invalidArgument)
            #expect(error.description.contains(words), "\(error)")
            #expect(error.description.contains(url), "\(error)")
        } catch {
            Issue.record("unexpected \(error)")
        }
    }
}
