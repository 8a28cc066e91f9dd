/// Everything measured on the zoo side (and OpenSSL's hashing of zoo's shard files).
struct ZooResults {
    var modelBytes = 0
    var smallModelBytes = 0
    var tensorCount = 0
    var shardCount = 0
    var shardBytes = 0
    var generateSeconds = 0.0
    /// ru_maxrss after generating the data, and after every save run.
    var peakResidentAfterGenerate = 0
    var peakResidentAfterSave = 0

    var save = Samples([])
    /// Seconds per call.
    var open = Samples([])
    var openNames = Samples([])
    var openArchive = Samples([])
    var openSmall = Samples([])
    var openSmallNames = Samples([])

    var touchWarm = Samples([])
    var copyWarm = Samples([])
    var touchCold: Samples?
    var copyCold: Samples?
    /// Fraction of the shards' pages still in the page cache right after dropping it (should be ~0).
    var cachedAfterDrop: Double?

    var verifyFiles = Samples([])
    var verifyFilesBytes = 0
    var verifyDeep = Samples([])
    var verifyDeepBytes = 0
    var openSSLParallel = Samples([])
    var openSSLSingle = Samples([])
}
