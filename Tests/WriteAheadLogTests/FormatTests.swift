import Testing

@testable import WriteAheadLog

@Suite("CRC-32C")
struct CRC32CTests {
    // Published check values: RFC 3720 (iSCSI) appendix B.4 and the
    // catalogue check value of "123456789".
    static let vectors: [(String, [UInt8], UInt32)] = [
        ("123456789", Array("123456789".utf8), 0xE306_9283),
        ("32 zero bytes", [UInt8](repeating: 0, count: 32), 0x8A91_36AA),
        ("32 0xFF bytes", [UInt8](repeating: 0xFF, count: 32), 0x62A8_AB43),
        ("32 ascending bytes", (0..<32).map { UInt8($0) }, 0x46DD_794E),
        ("32 descending bytes", (0..<32).map { UInt8(31 - $0) }, 0x113F_DB5C),
        ("empty", [], 0),
    ]

    @Test("matches the published test vectors on the hardware and portable paths", arguments: vectors)
    func publishedVectors(name: String, bytes: [UInt8], expected: UInt32) {
        #expect(CRC32C.checksum(bytes) == expected, "\(name)")
        #expect(CRC32C.portableChecksum(bytes) == expected, "\(name)")
    }

    @Test("chains: the checksum of a whole equals the checksum extended piece by piece")
    func chaining() {
        var generator = SystemRandomNumberGenerator()
        let bytes = (0..<4099).map { _ in UInt8.random(in: 0...255, using: &generator) }
        for split in [0, 1, 7, 8, 9, 100, 4098, 4099] {
            let head = CRC32C.checksum(Array(bytes[..<split]))
            #expect(CRC32C.checksum(Array(bytes[split...]), seed: head) == CRC32C.checksum(bytes))
            #expect(CRC32C.portableChecksum(Array(bytes[split...]), seed: head) == CRC32C.checksum(bytes))
        }
    }

    @Test("the hardware path is used on this CPU when it has one")
    func hardwareDetected() {
        #if arch(x86_64) || arch(arm64)
        #expect(CRC32C.usesHardware)
        #endif
    }
}

@Suite("Format primitives")
struct FormatTests {
    @Test("LSN 0 means none and successor is checked")
    func lsnSuccessor() throws {
        #expect(LSN.none.isNone)
        #expect(try LSN.none.successor() == LSN.first)
        let error = expectWALError(.exhausted) { _ = try LSN(UInt64.max).successor() }
        #expect(error?.lsn == LSN(UInt64.max))
    }

    @Test("segment names are ten digits and only canonical names parse")
    func segmentNames() throws {
        #expect(SegmentID(1).fileName == "0000000001.wal")
        #expect(SegmentID(1234567890).fileName == "1234567890.wal")
        #expect(SegmentID(fileName: "0000000042.wal") == SegmentID(42))
        for name in ["42.wal", "0000000042.wal.tmp", ".wal.lock", "000000004x.wal", "0000000000.wal", "00000000042.wal", "0000000042.log"] {
            #expect(SegmentID(fileName: name) == nil, "\(name)")
        }
        #expect(throws: WALError.self) { _ = try SegmentID.maximum.successor() }
    }

    @Test("segment header round-trips and every damaged byte is refused")
    func segmentHeader() throws {
        let header = SegmentHeader(baseLSN: LSN(77), isSealed: true)
        let bytes = header.bytes
        #expect(bytes.count == SegmentHeader.size)
        #expect(try bytes.withUnsafeBytes { try SegmentHeader(parsing: $0) } == header)
        for offset in 0..<SegmentHeader.size {
            var damaged = bytes
            damaged[offset] ^= 0x10
            #expect(throws: WALError.self, "byte \(offset)") { _ = try damaged.withUnsafeBytes { try SegmentHeader(parsing: $0) } }
        }
    }

    @Test("every record kind round-trips through the framing", arguments: RecordKind.allCases)
    func recordRoundTrip(kind: RecordKind) throws {
        var buffer: [UInt8] = []
        let notes = [Note(1, "one"), Note(2, "two")]
        try RecordCodec.append(kind: kind, lsn: 42, txBeginLSN: 40, to: &buffer) { buffer in
            switch kind {
            case .mutation: try notes[0].encode(into: &buffer)
            case .mutationBatch: try RecordCodec.appendBatchPayload(notes, to: &buffer)
            default: break
            }
        }
        try buffer.withUnsafeBytes { raw in
            guard case .record(let frame) = RecordCodec.parse(raw, at: 0) else {
                Issue.record("did not parse")
                return
            }
            #expect(frame.kind == kind && frame.lsn == 42 && frame.txBeginLSN == 40 && frame.size == buffer.count)
            var decoded: [Note] = []
            try RecordCodec.forEachEvent(in: frame, of: raw, as: Note.self) { decoded.append($0) }
            switch kind {
            case .mutation: #expect(decoded == [notes[0]])
            case .mutationBatch: #expect(decoded == notes)
            default: #expect(decoded.isEmpty)
            }
        }
    }

    @Test("a length prefix above the cap is refused without reading or allocating it")
    func lengthCap() {
        var bytes: [UInt8] = []
        bytes.appendLittleEndian(UInt32(RecordFrame.maximumSize + 1))
        bytes += [UInt8](repeating: 0xAB, count: 40)
        let parse = bytes.withUnsafeBytes { RecordCodec.parse($0, at: 0) }
        guard case .damaged(let reason) = parse else {
            Issue.record("expected damage, got \(parse)")
            return
        }
        #expect(reason.contains("cap"))
    }

    @Test("a record larger than the cap is refused when written")
    func writeCap() {
        var buffer: [UInt8] = []
        let big = [UInt8](repeating: 1, count: RecordFrame.maximumSize)
        expectWALError(.tooLarge) {
            try RecordCodec.append(kind: .mutation, lsn: 1, txBeginLSN: 1, to: &buffer) { try big.encode(into: &$0) }
        }
        #expect(buffer.isEmpty)
    }

    @Test("a decoder that leaves bytes unread is reported")
    func leftoverBytes() throws {
        var buffer: [UInt8] = []
        try RecordCodec.append(kind: .mutation, lsn: 1, txBeginLSN: 1, to: &buffer) { $0 += [1, 0, 0, 0, 0, 0, 9, 9] }
        buffer.withUnsafeBytes { raw in
            guard case .record(let frame) = RecordCodec.parse(raw, at: 0) else { return }
            let error = expectWALError(.eventDecoding) {
                try RecordCodec.forEachEvent(in: frame, of: raw, as: Note.self) { _ in }
            }
            #expect(error?.message.contains("unread") == true)
        }
    }
}
