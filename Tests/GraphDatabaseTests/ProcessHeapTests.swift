import Testing

@testable import GraphDatabase

@Suite("The process heap setting")
struct ProcessHeapTests {
    @Test("an operator's own top pad in GLIBC_TUNABLES is left standing")
    func operatorsSettingWins() {
        #expect(ProcessHeap.growInLargeSteps(tunables: "glibc.malloc.top_pad=1048576") == .leftToEnvironment)
        #expect(
            ProcessHeap.growInLargeSteps(tunables: "glibc.malloc.trim_threshold=1:glibc.malloc.top_pad=0") == .leftToEnvironment)
    }

    @Test("other tunables, and names that only begin like it, do not count as the top pad")
    func otherTunables() {
        #expect(!ProcessHeap.namesTopPad(""))
        #expect(!ProcessHeap.namesTopPad("glibc.malloc.trim_threshold=268435456"))
        #expect(!ProcessHeap.namesTopPad("glibc.malloc.top_padding=1:glibc.malloc.arena_max=2"))
        #expect(!ProcessHeap.namesTopPad("x.glibc.malloc.top_pad=1"))
        #expect(ProcessHeap.namesTopPad("glibc.malloc.arena_max=2:glibc.malloc.top_pad=4096"))
        #expect(ProcessHeap.namesTopPad("glibc.malloc.top_pad"))
    }

    #if canImport(Glibc)
    @Test("glibc takes the setting, again and again")
    func glibcTakesIt() {
        #expect(ProcessHeap.growInLargeSteps(tunables: nil) == .applied)
        #expect(ProcessHeap.growInLargeSteps(tunables: "glibc.malloc.arena_max=8") == .applied)
    }
    #endif
}
