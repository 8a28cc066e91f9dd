#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The fuzz input as an array (the library APIs take `[UInt8]`).
public func inputBytes(_ data: UnsafePointer<UInt8>, _ size: Int) -> [UInt8] {
    Array(UnsafeBufferPointer(start: data, count: size))
}

/// A byte sum of `bytes`, so reads of tensor data are not optimised away.
public func checksum(_ bytes: UnsafeRawBufferPointer) -> UInt8 {
    var sum: UInt8 = 0
    for byte in bytes { sum &+= byte }
    return sum
}

/// Keeps `value` alive as far as the optimiser can tell.
@inline(never)
public func blackHole<T>(_ value: T) {
    withExtendedLifetime(value) {}
}

/// Reports a broken invariant the way a sanitizer would: a message on stderr, then `abort()`,
/// which libFuzzer records as a crash with its reproducer.
public func fuzzFailure(_ message: String) -> Never {
    let line = Array("fuzz invariant failed: \(message)\n".utf8)
    _ = line.withUnsafeBytes { write(2, $0.baseAddress, $0.count) }
    abort()
}

/// This process's scratch folder: `$ZOO_FUZZ_TMPDIR` (scripts/fuzz.sh points it at /dev/shm
/// when there is one, so temp files cost no disk I/O), else `$TMPDIR`, else /tmp; one folder
/// per process, made on first use.
public let scratchDirectory: String = {
    let base = getenv("ZOO_FUZZ_TMPDIR").map { String(cString: $0) }
        ?? getenv("TMPDIR").map { String(cString: $0) } ?? "/tmp"
    let path = base + "/zoo-fuzz-\(getpid())"
    guard mkdir(path, 0o700) == 0 || errno == EEXIST else { fuzzFailure("cannot create \(path): errno \(errno)") }
    return path
}()

/// Writes `bytes` to `path` (created or truncated): the harness's own file, not input under test.
public func writeFile(_ path: String, _ bytes: UnsafeRawBufferPointer) {
    let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
    guard fd >= 0 else { fuzzFailure("cannot create \(path): errno \(errno)") }
    defer { close(fd) }
    var done = 0
    while done < bytes.count {
        let n = write(fd, bytes.baseAddress! + done, bytes.count - done)
        guard n > 0 else { fuzzFailure("cannot write \(path): errno \(errno)") }
        done += n
    }
}

/// Writes `bytes` to `scratchDirectory/name` and returns the path.
public func scratchFile(_ name: String, _ bytes: [UInt8]) -> String {
    let path = scratchDirectory + "/" + name
    bytes.withUnsafeBytes { writeFile(path, $0) }
    return path
}

/// Removes `path` and everything under it (the harness's own scratch output).
public func removeTree(_ path: String) {
    var info = stat()
    guard lstat(path, &info) == 0 else { return }
    if (info.st_mode & S_IFMT) == S_IFDIR {
        if let dir = opendir(path) {
            var children: [String] = []
            while let entry = readdir(dir) {
                let name = withUnsafePointer(to: entry.pointee.d_name) {
                    $0.withMemoryRebound(to: CChar.self, capacity: 256) { String(cString: $0) }
                }
                if name != "." && name != ".." { children.append(name) }
            }
            closedir(dir)
            for child in children { removeTree(path + "/" + child) }
        }
        rmdir(path)
    } else {
        unlink(path)
    }
}
