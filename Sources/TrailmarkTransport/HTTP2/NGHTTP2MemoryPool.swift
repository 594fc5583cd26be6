import CNGHTTP2
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The allocator of one `nghttp2_session` (`nghttp2_mem`): small blocks come from per-size
/// free lists instead of malloc/free.
///
/// Why: every request costs nghttp2 about eight small allocations (its stream record, 224
/// bytes; one outbound item per frame sent, 152 bytes; copied header arrays, 40–80 bytes),
/// each freed within the same read burst. With many streams per burst glibc's per-thread
/// cache (seven blocks per size) overflows and most of them took the slow path
/// (`_int_malloc`, `unlink_chunk`, consolidation).
///
/// Layout: every block starts with a 16-byte header (so payloads keep malloc's 16-byte
/// alignment): word 0 is the size class (0…2, or `largeClass`), word 1 is the free-list link
/// while the block is pooled, or the payload size of a large block.
///
/// Bounds: nothing is kept until `keepsFreedBlocks` is set (the server sets it when a
/// connection opens its first stream, so an idle connection holds no pooled blocks); then at
/// most `blocksPerClassMax` blocks per class (about 16 KiB in all); the rest go to `free`. Ownership: the owning `NGHTTP2Session` frees the session first
/// (which returns every block here), then this pool, whose `deinit` frees the kept blocks.
///
/// Threading: not Sendable; called only from inside its session's nghttp2 calls, which run on
/// one thread at a time (see `NGHTTP2Session`).
final class NGHTTP2MemoryPool {
    /// Payload capacity of each pooled size class, in bytes.
    static let classCapacities = [64, 128, 256]
    /// Blocks kept per class.
    static let blocksPerClassMax = 32
    static let headerBytes = 16
    /// Class tag of blocks above the largest class (plain malloc, never pooled).
    static let largeClass = 3

    // Raw arrays (one per class) rather than Swift arrays: no uniqueness or bounds checks
    // on a path taken about sixteen times per request. Allocated in init, freed in deinit.
    private let heads = UnsafeMutablePointer<UnsafeMutableRawPointer?>.allocate(capacity: 3)
    private let counts = UnsafeMutablePointer<Int>.allocate(capacity: 3)
    /// Whether freed small blocks are kept for reuse (else they go straight to `free`).
    /// Unchecked exclusivity: a flag read on every free, touched by one thread at a time.
    @exclusivity(unchecked) var keepsFreedBlocks = false

    init() {
        heads.initialize(repeating: nil, count: 3)
        counts.initialize(repeating: 0, count: 3)
    }

    deinit {
        for index in 0..<3 {
            var block = heads[index]
            while let current = block {
                block = current.load(fromByteOffset: 8, as: UnsafeMutableRawPointer?.self)
                free(current)
            }
        }
        heads.deallocate()
        counts.deallocate()
    }

    /// Blocks currently kept for reuse, all classes together (for tests).
    var pooledBlocks: Int { counts[0] + counts[1] + counts[2] }

    @inline(__always)
    private static func sizeClass(_ size: Int) -> Int {
        size <= 64 ? 0 : size <= 128 ? 1 : size <= 256 ? 2 : largeClass
    }

    /// `size` bytes, 16-byte aligned; nil when malloc fails.
    func allocate(_ size: Int) -> UnsafeMutableRawPointer? {
        let index = Self.sizeClass(size)
        if index == Self.largeClass {
            guard size <= Int.max - Self.headerBytes, let block = malloc(size + Self.headerBytes) else { return nil }
            block.storeBytes(of: index, as: Int.self)
            block.storeBytes(of: size, toByteOffset: 8, as: Int.self)
            return block + Self.headerBytes
        }
        if let block = heads[index] {
            heads[index] = block.load(fromByteOffset: 8, as: UnsafeMutableRawPointer?.self)
            counts[index] -= 1
            return block + Self.headerBytes
        }
        guard let block = malloc(Self.classCapacities[index] + Self.headerBytes) else { return nil }
        block.storeBytes(of: index, as: Int.self)
        return block + Self.headerBytes
    }

    /// Returns a block from `allocate` (nil is ignored).
    func release(_ pointer: UnsafeMutableRawPointer?) {
        guard let pointer else { return }
        let block = pointer - Self.headerBytes
        let index = block.load(as: Int.self)
        guard keepsFreedBlocks, index != Self.largeClass, counts[index] < Self.blocksPerClassMax else {
            free(block)
            return
        }
        block.storeBytes(of: heads[index], toByteOffset: 8, as: UnsafeMutableRawPointer?.self)
        heads[index] = block
        counts[index] += 1
    }

    /// `count × size` zeroed bytes; nil on overflow or when malloc fails.
    func allocateZeroed(count: Int, size: Int) -> UnsafeMutableRawPointer? {
        let (total, overflow) = count.multipliedReportingOverflow(by: size)
        guard !overflow, let pointer = allocate(total) else { return nil }
        pointer.initializeMemory(as: UInt8.self, repeating: 0, count: total)
        return pointer
    }

    /// C `realloc` semantics for blocks of this pool: keeps the first min(old, new) bytes.
    func reallocate(_ pointer: UnsafeMutableRawPointer?, size: Int) -> UnsafeMutableRawPointer? {
        guard let pointer else { return allocate(size) }
        let block = pointer - Self.headerBytes
        let index = block.load(as: Int.self)
        if index == Self.largeClass {
            guard size <= Int.max - Self.headerBytes, let moved = realloc(block, size + Self.headerBytes) else { return nil }
            moved.storeBytes(of: size, toByteOffset: 8, as: Int.self)
            return moved + Self.headerBytes
        }
        let capacity = Self.classCapacities[index]
        if size <= capacity { return pointer }
        guard let grown = allocate(size) else { return nil }
        grown.copyMemory(from: pointer, byteCount: capacity)
        release(pointer)
        return grown
    }

    /// The `nghttp2_mem` that routes nghttp2's allocations to `self`. `self` is passed
    /// unretained: the owning session keeps the pool alive until after `nghttp2_session_del`.
    var nghttp2Allocator: nghttp2_mem {
        nghttp2_mem(
            mem_user_data: Unmanaged.passUnretained(self).toOpaque(),
            malloc: { size, pool in NGHTTP2MemoryPool.with(pool) { $0.allocate(size) } },
            free: { pointer, pool in NGHTTP2MemoryPool.with(pool) { $0.release(pointer) } },
            calloc: { count, size, pool in NGHTTP2MemoryPool.with(pool) { $0.allocateZeroed(count: count, size: size) } },
            realloc: { pointer, size, pool in NGHTTP2MemoryPool.with(pool) { $0.reallocate(pointer, size: size) } })
    }

    @inline(__always)
    private static func with<R>(_ pool: UnsafeMutableRawPointer?, _ body: (NGHTTP2MemoryPool) -> R) -> R {
        // Alive: see `nghttp2Allocator`; mem_user_data is always set.
        Unmanaged<NGHTTP2MemoryPool>.fromOpaque(pool!)._withUnsafeGuaranteedRef(body)  // set in nghttp2Allocator
    }
}
