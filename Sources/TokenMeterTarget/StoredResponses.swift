/// Responses answers kept for `previous_response_id`: each one's prompt and answer text by id, oldest dropped first past
/// a byte budget. Only requests that ask with `store: true` are kept (OpenAI stores by default; a benchmark target that
/// did would grow without bound).
struct StoredResponses {
    let capacityBytes: Int
    private var texts: [String: String] = [:]
    private var order: [String] = []
    private var head = 0
    private var bytes = 0

    init(capacityBytes: Int) { self.capacityBytes = capacityBytes }

    func text(_ id: String) -> String? { texts[id] }

    mutating func keep(_ id: String, text: String) {
        texts[id] = text
        order.append(id)
        bytes += text.utf8.count
        while bytes > capacityBytes, head < order.count {
            if let dropped = texts.removeValue(forKey: order[head]) { bytes -= dropped.utf8.count }
            head += 1
        }
        if head > 4096, head * 2 > order.count {
            order.removeFirst(head)
            head = 0
        }
    }
}
