#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import ZooFormat

extension Store {
    /// The end of every import, under the store lock: links each prepared blob into `blobs/`
    /// (keeping one already there), prepares any blob that vanished since ``prepare(_:staging:progress:)``
    /// saw it (a concurrent removal), fsyncs, then writes the model's summary and the ref. On
    /// failure, the blobs this call linked are removed again, so the store is as before.
    func commit(_ blobs: inout [PlannedBlob], manifest: Manifest, digest: SHA256Digest, target: StoreRefTarget?,
                staging: String) throws(StoreError)
    {
        try withLock { () throws(StoreError) in
            var linked: [String] = []
            do throws(StoreError) {
                for index in blobs.indices {
                    let destination = blobPath(blobs[index].digest)
                    if blobs[index].ready == nil {
                        if FileSystem.kind(of: destination) == .regular { continue }
                        try blobs[index].prepare(in: staging, progress: nil)
                    }
                    guard let ready = blobs[index].ready else { continue }
                    do throws(IOError) {
                        try Syscalls.link(ready, to: destination)
                        linked.append(destination)
                    } catch where error.errno == EEXIST {
                        continue  // the store has it already; the staged copy goes with tmp/
                    } catch {
                        throw StoreError(.io(error))
                    }
                }
                if !linked.isEmpty {
                    do throws(IOError) { try FileSystem.syncDirectory(blobDirectory) } catch { throw StoreError(.io(error)) }
                }
                if let target { try writeRef(target, summary: makeSummary(manifest, digest: digest), staging: staging) }
            } catch {
                for path in linked { try? Syscalls.unlinkIfPresent(path) }
                throw error
            }
        }
    }

    /// Writes `refs/<name>/<tag>` atomically (temp file in `tmp/`, fsync, rename, fsync of the
    /// directory), replacing an older ref of the same name and tag. Call with the lock held, and
    /// with every blob of the model in place.
    ///
    /// The model's summary is written first (unless an identical one is there), so a ref never
    /// lacks one for long; `index/refs` is removed before the ref changes and rewritten after
    /// (``changingRefs(base:_:update:)``).
    ///
    /// An untagged ref (`name@digest`) is written only while no tag of `name` names the model;
    /// a tagged one replaces the untagged ref of its name and model, if any.
    func writeRef(_ target: StoreRefTarget, summary: ModelSummary, staging: String) throws(StoreError) {
        if target.tag == nil, target.untaggedDigest != summary.digest {
            throw StoreError(.invalidReference(target.description, why: "the model stored is \(summary.digest)"))
        }
        try checkRefPathIsFree(target)
        try checkNameIsFree(target, for: summary.digest)
        let base = try refIndexLocked()
        let ref = StoreRef(name: target.name, tag: target.tag, digest: summary.digest)
        if ref.tag == nil, base.entries.contains(where: { $0.ref.name == ref.name && $0.ref.digest == ref.digest && $0.ref.tag != nil }) {
            return  // already named by a tag of that name
        }
        let untagged = StoreRef(name: ref.name, tag: nil, digest: ref.digest)
        let superseded = ref.tag != nil && FileSystem.kind(of: refPath(untagged)) == .regular ? [untagged] : []
        let wroteSummary = try installSummary(summary)
        do {
            try changingRefs(base: base) { () throws(StoreError) in
                try writeRefFile(ref, staging: staging)
                for old in superseded { try removeRefFile(old) }
            } update: { index in
                index.remove(superseded)
                index.set(ref, listing: summary.listing, created: Int(time(nil)))
            }
        } catch {
            if wroteSummary, !base.refs.contains(where: { $0.digest == summary.digest }) {
                try? removeSummary(summary.digest)  // it would describe a model no ref names
            }
            throw error
        }
    }

    private func writeRefFile(_ ref: StoreRef, staging: String) throws(StoreError) {
        let digest = ref.digest
        let path = refPath(ref)
        let directory = FileSystem.parentDirectory(of: path)
        let temp = staging + "/" + FileSystem.uniqueName("ref")
        do throws(IOError) {
            try FileSystem.makeDirectories(directory)
            let fd = try FileSystem.createExclusive(temp)
            do {
                try FileSystem.writeAll(fd, Array((digest.description + "\n").utf8), path: temp)
                try FileSystem.sync(fd, path: temp)
                try FileSystem.close(fd, path: temp)
            } catch {
                close(fd)
                throw error
            }
            try FileSystem.rename(temp, to: path)
            // Flush the new entry and every directory on the way, which may be new.
            var current = directory
            while current.count >= refDirectory.count {
                try FileSystem.syncDirectory(current)
                if current == refDirectory { break }
                current = FileSystem.parentDirectory(of: current)
            }
        } catch {
            try? Syscalls.unlinkIfPresent(temp)
            throw StoreError(.io(error))
        }
    }

    /// Refuses a target whose `NAME:TAG` names another model when its policy keeps names.
    /// Checked before an import copies anything (a quick refusal) and again under the lock,
    /// where it decides.
    func checkNameIsFree(_ target: StoreRefTarget, for digest: SHA256Digest) throws(StoreError) {
        guard target.policy == .keepExisting, let tag = target.tag,
            let existing = try? readRef(at: refPath(name: target.name, tag: tag)), existing != digest
        else { return }
        throw StoreError(.nameTaken("\(target.name):\(tag)", holding: existing, wanted: digest))
    }

    /// Refs live at `refs/<name>/<tag>`, so a name component may not be another model's tag
    /// file (`a:b` blocks `a/b:latest`) and a tag may not be another model's name directory.
    private func checkRefPathIsFree(_ target: StoreRefTarget) throws(StoreError) {
        let wanted = target.description
        var path = refDirectory
        var name = ""
        for component in target.name.split(separator: "/") {
            path += "/" + component
            switch FileSystem.kind(of: path) {
            case .missing: return
            case .directory: break
            default:
                throw StoreError(.nameConflict(wanted, with: name.isEmpty ? path : "\(name):\(component)"))
            }
            name = name.isEmpty ? String(component) : name + "/" + component
        }
        guard let tag = target.tag else { return }  // `@sha256-...` is no name or tag
        let refFile = path + "/" + tag
        switch FileSystem.kind(of: refFile) {
        case .missing, .regular: return
        default: throw StoreError(.nameConflict(wanted, with: "\(target.name)/\(tag)"))
        }
    }
}
