// ConfigError, the file reading and the TOML document live in MPRelayConfigFile, beneath this
// module, so that mprelayctl reads `--config` as mprelayd reads the file without linking the
// configuration model. They are part of this module's API (every loader method throws
// ConfigError), so importing MPRelayConfig brings them along, as swift-nio's NIO module
// re-exports NIOCore.
@_exported public import MPRelayConfigFile
