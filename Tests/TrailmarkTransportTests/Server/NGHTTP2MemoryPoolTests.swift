import Testing
@testable import TrailmarkTransport

/// `NGHTTP2MemoryPool`, nghttp2's per-session allocator: blocks keep their bytes until freed,
/// freed blocks are reused, the pool keeps a bounded number, and calloc/realloc follow C.
@Suite struct NGHTTP2MemoryPoolTests {
    /// Fills `count` bytes at `pointer` with a pattern derived from `seed`.
    private func fill(_ pointer: UnsafeMutableRawPointer, _ count: Int, seed: Int) {
        for i in 0..<count { pointer.storeBytes(of: UInt8(truncatingIfNeeded: seed &+ i &* 7), toByteOffset: i, as: UInt8.self) }
    }

    private func holds(_ pointer: UnsafeMutableRawPointer, _ count: Int, seed: Int) -> Bool {
        (0..<count).allSatisfy { pointer.load(fromByteOffset: $0, as: UInt8.self) == UInt8(truncatingIfNeeded: seed &+ $0 &* 7) }
    }

    @Test func liveBlocksKeepTheirBytesAndFreedOnesAreReusedUpToTheCap() throws {
        let pool = NGHTTP2MemoryPool()
        // Until reuse is switched on (an idle connection), freed blocks go back to free().
        let early = try #require(pool.allocate(100))
        pool.release(early)
        #expect(pool.pooledBlocks == 0)
        pool.keepsFreedBlocks = true
        let sizes = [1, 40, 64, 65, 152, 224, 256, 257, 5000]
        var live: [(UnsafeMutableRawPointer, Int, Int)] = []
        for (seed, size) in sizes.enumerated() {
            let pointer = try #require(pool.allocate(size))
            #expect(Int(bitPattern: pointer) % 16 == 0)
            fill(pointer, size, seed: seed)
            live.append((pointer, size, seed))
        }
        for (pointer, size, seed) in live { #expect(holds(pointer, size, seed: seed)) }
        for (pointer, _, _) in live { pool.release(pointer) }
        #expect(pool.pooledBlocks == 7)  // the two large blocks went back to free()
        let again = try #require(pool.allocate(200))
        #expect(pool.pooledBlocks == 6)
        pool.release(again)

        // A burst larger than the cap: only `blocksPerClassMax` stay pooled.
        let burst = (0..<100).map { _ in pool.allocate(150)! }  // malloc of 272 bytes does not fail here
        for pointer in burst { pool.release(pointer) }
        #expect(pool.pooledBlocks == 4 + NGHTTP2MemoryPool.blocksPerClassMax)
        pool.release(nil)
    }

    @Test func zeroedAllocationAndReallocationFollowC() throws {
        let pool = NGHTTP2MemoryPool()
        pool.keepsFreedBlocks = true
        let zeroed = try #require(pool.allocateZeroed(count: 10, size: 12))
        #expect((0..<120).allSatisfy { zeroed.load(fromByteOffset: $0, as: UInt8.self) == 0 })
        #expect(pool.allocateZeroed(count: Int.max, size: 2) == nil)
        fill(zeroed, 120, seed: 3)
        // Grows within the class (same block), then across classes, then to a large block.
        let same = try #require(pool.reallocate(zeroed, size: 128))
        #expect(same == zeroed)
        let grown = try #require(pool.reallocate(same, size: 250))
        #expect(holds(grown, 120, seed: 3))
        let large = try #require(pool.reallocate(grown, size: 10_000))
        #expect(holds(large, 120, seed: 3))
        fill(large, 10_000, seed: 9)
        let larger = try #require(pool.reallocate(large, size: 20_000))
        #expect(holds(larger, 10_000, seed: 9))
        pool.release(larger)
        let fresh = try #require(pool.reallocate(nil, size: 30))
        pool.release(fresh)
    }
}
