#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation
import ZooFormat

/// What the benchmark reads from, and does to, the machine: memory use, load, the page cache.
enum SystemState {
    /// The most memory this process has had resident so far (getrusage's ru_maxrss, a high-water mark).
    static func peakResidentBytes() -> Int {
        var usage = rusage()
        guard getrusage(RUSAGE_SELF.rawValue, &usage) == 0 else { return 0 }
        return Int(usage.ru_maxrss) * 1024  // Linux reports KiB
    }

    /// The 1-minute load average, for the report's header (a busy machine gives noisy numbers).
    static func loadAverage() -> String {
        // /proc files report size 0, so FileSystem.readFile (which trusts fstat) would read nothing.
        guard let text = try? String(contentsOfFile: "/proc/loadavg", encoding: .utf8) else { return "unknown" }
        return text.split(separator: " ").prefix(3).joined(separator: " ")
    }

    /// Online CPUs.
    static func processorCount() -> Int { Int(sysconf(Int32(_SC_NPROCESSORS_ONLN))) }

    private static let dropCachesPath = "/proc/sys/vm/drop_caches"

    /// Whether this process may drop the page cache (root with a writable /proc/sys).
    static var canDropCaches: Bool { access(dropCachesPath, W_OK) == 0 }

    /// Writes dirty pages back, then drops the clean page cache of the whole machine, so that the
    /// next read comes from the disk.
    static func dropCaches() throws(BenchError) {
        sync()
        do throws(IOError) {
            let fd = open(dropCachesPath, O_WRONLY | O_CLOEXEC)
            guard fd >= 0 else { throw IOError(call: "open", path: dropCachesPath, errno: errno) }
            defer { close(fd) }
            try FileSystem.writeAll(fd, Array("1\n".utf8), path: dropCachesPath)
        } catch {
            throw .io(error)
        }
    }

    /// The fraction of the files' pages that are in the page cache (mincore on a fresh mapping,
    /// which faults nothing in), or `nil` when a file cannot be examined.
    static func cachedFraction(of paths: [String]) -> Double? {
        let page = Int(sysconf(Int32(_SC_PAGESIZE)))
        var cached = 0, total = 0
        for path in paths {
            let fd = open(path, O_RDONLY | O_CLOEXEC)
            guard fd >= 0 else { return nil }
            defer { close(fd) }
            var info = stat()
            guard fstat(fd, &info) == 0 else { return nil }
            let size = Int(info.st_size)
            guard size > 0 else { continue }
            guard let address = mmap(nil, size, PROT_READ, MAP_SHARED, fd, 0), address != MAP_FAILED else { return nil }
            defer { munmap(address, size) }
            var vector = [UInt8](repeating: 0, count: (size + page - 1) / page)
            guard mincore(address, size, &vector) == 0 else { return nil }
            cached += vector.reduce(0) { $0 + Int($1 & 1) }
            total += vector.count
        }
        return total == 0 ? nil : Double(cached) / Double(total)
    }
}
