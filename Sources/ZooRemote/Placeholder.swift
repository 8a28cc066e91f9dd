// Placeholder until the first ZooRemote file lands.
