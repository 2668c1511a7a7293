import Foundation
import Hummingbird
import Logging
import NIOCore
import TokenMeterCore
import TokenMeterCost
import TokenMeterReport
import TokenMeterResults

/// `tokenmeter serve`: a dashboard over the run store — list runs, open one, compare several, download JSON/CSV/InferenceX —
/// with a JSON API described by an OpenAPI document. Pages are server-rendered HTML with inline SVG: no scripts, nothing
/// fetched from elsewhere.
public struct Dashboard: Sendable {
    /// The store.
    public var store: any RunStore
    /// Binding and token.
    public var access: DashboardAccess
    /// How runs are priced.
    public var pricer: Pricer

    /// Largest request body accepted (the API takes none; anything bigger is refused with 413).
    public static let bodyLimit = 64 * 1024

    /// Creates a dashboard.
    public init(store: any RunStore, access: DashboardAccess, pricer: Pricer) {
        self.store = store
        self.access = access
        self.pricer = pricer
    }

    /// Serves until SIGINT or SIGTERM; `onRunning` receives the bound port.
    public func run(onRunning: @escaping @Sendable (Int) async -> Void) async throws {
        try await application(onRunning: onRunning).runService()
    }

    /// The application; `onRunning` receives the bound port.
    public func application(onRunning: @escaping @Sendable (Int) async -> Void = { _ in }) -> some ApplicationProtocol {
        let router = Router()
        router.add(middleware: GuardMiddleware(access: access))
        let pages = Pages(store: store, pricer: pricer)
        router.get("/") { _, _ in try await pages.index() }
        router.get("/runs/:id") { _, context in try await pages.run(try Pages.validID(context.parameters.get("id"))) }
        router.get("/compare") { request, _ in try await pages.compare(request.uri.queryParameters.getAll("ids").map { try Pages.validID($0) }) }
        router.get("/api/runs") { _, _ in try await pages.apiRuns() }
        router.get("/api/runs/:id") { request, context in
            try await pages.apiRun(try Pages.validID(context.parameters.get("id")), format: request.uri.queryParameters.get("format") ?? "json")
        }
        router.get("/openapi.json") { _, _ in Pages.response(OpenAPIDocument.json, type: "application/json") }
        router.get("/healthz") { _, _ in Pages.response("ok\n", type: "text/plain; charset=utf-8") }
        var logger = Logger(label: "tokenmeter.serve")
        logger.logLevel = .warning
        return Application(router: router, configuration: .init(address: .hostname(access.host, port: access.port), serverName: "tokenmeter"),
                           onServerRunning: { channel in await onRunning(channel.localAddress?.port ?? 0) }, logger: logger)
    }
}

/// Refuses what the dashboard never serves: requests without the token (401), methods other than GET/HEAD (405), bodies over
/// the limit (413).
struct GuardMiddleware<Context: RequestContext>: RouterMiddleware {
    let access: DashboardAccess

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard access.authorizes(request.headers[.authorization]) else {
            var response = Pages.response("a bearer token is required: send Authorization: Bearer <token>\n", type: "text/plain; charset=utf-8",
                                          status: .unauthorized)
            response.headers[.wwwAuthenticate] = "Bearer"
            return response
        }
        guard request.method == .get || request.method == .head else {
            return Pages.response("the dashboard is read-only: GET only\n", type: "text/plain; charset=utf-8", status: .methodNotAllowed)
        }
        if let length = request.headers[.contentLength].flatMap(Int.init), length > Dashboard.bodyLimit {
            return Pages.response("request body over \(Dashboard.bodyLimit) bytes\n", type: "text/plain; charset=utf-8", status: .contentTooLarge)
        }
        var request = request
        do { _ = try await request.collectBody(upTo: Dashboard.bodyLimit) } catch {
            return Pages.response("request body over \(Dashboard.bodyLimit) bytes\n", type: "text/plain; charset=utf-8", status: .contentTooLarge)
        }
        return try await next(request, context)
    }
}
