/// One page of a query's results, in ascending id order.
///
/// To read the next page, pass ``nextCursor`` as the query's `after:`.
/// The cursor is an id, not a position, so pages stay consistent while the
/// graph changes between them: nothing is skipped or repeated, and entities
/// created meanwhile (with higher ids) appear on later pages.
public struct Page<Item: Identifiable & Sendable>: Sendable where Item.ID: Sendable {
    /// The items, ascending by id; at most the `limit` asked for.
    public var items: [Item]
    /// The id of the last item when more results follow; nil on the last page.
    public var nextCursor: Item.ID?

    /// A page of `items`, followed by more when `nextCursor` is not nil.
    public init(items: [Item], nextCursor: Item.ID?) {
        self.items = items
        self.nextCursor = nextCursor
    }
}

extension Page: Equatable where Item: Equatable {}

/// Fills a page from candidates in ascending id order, looking one match
/// ahead so that the cursor is nil exactly when nothing follows.
func collectPage<Item: Identifiable & Sendable>(
    limit: Int, from candidates: some Sequence<Item>
) -> Page<Item> where Item.ID: Sendable {
    guard limit > 0 else { return Page(items: [], nextCursor: nil) }
    var items: [Item] = []
    for item in candidates {
        if items.count == limit { return Page(items: items, nextCursor: items.last?.id) }
        items.append(item)
    }
    return Page(items: items, nextCursor: nil)
}
