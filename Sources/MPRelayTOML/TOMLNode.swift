/// A TOML value with the position it was written at.
///
/// For an entry of a table, the position is where its key is written (for a table, its header
/// or the first dotted key that created it); for an element of an array, where the element
/// starts.
public struct TOMLNode: Equatable, Sendable {
    /// The value.
    public let value: TOMLValue
    /// Where it was written.
    public let position: TOMLPosition

    /// A value written at `position`.
    public init(value: TOMLValue, position: TOMLPosition) {
        self.value = value
        self.position = position
    }
}
