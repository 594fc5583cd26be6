/// Where `MPSCRing` puts its hot words (outside the generic type: no static stored
/// properties there). Each group written by different threads gets its own 128-byte block:
/// two 64-byte lines, because the L2 prefetcher may pull a line's neighbour along with it
/// (the adjacent-line pair), which would make neighbours written by different threads share
/// in effect.
///
///     [0, 128)     nothing (keeps the allocator's neighbours away)
///     [128, 256)   producers: enqueuePosition (every claim), cachedDequeuePosition (refreshes)
///     [256, 384)   consumer, read by producers when full: dequeuePosition (once per drain)
///     [384, 512)   consumer only: consumerBusy (every drain call)
@usableFromInline
enum RingLayout {
    @usableFromInline static let lineBytes = 128
    @usableFromInline static let enqueueOffset = lineBytes
    @usableFromInline static let cachedDequeueOffset = lineBytes + 8
    @usableFromInline static let dequeueOffset = 2 * lineBytes
    @usableFromInline static let consumerBusyOffset = 3 * lineBytes
    @usableFromInline static let byteCount = 4 * lineBytes
}
