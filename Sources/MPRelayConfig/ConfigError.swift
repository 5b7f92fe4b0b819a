// ConfigError, the file reading and the TOML document live in MPRelayConfigFile, beneath this
// module, so that a program can read a configuration file as mprelayd does without linking the
// configuration model. They are part of this module's API (every loader method throws
// ConfigError), so importing MPRelayConfig brings them along, as swift-nio's NIO module
// re-exports NIOCore.
@_exported public import MPRelayConfigFile
