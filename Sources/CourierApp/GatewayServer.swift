import CourierCore
import CourierGateway
import CourierHTTP
import Hummingbird
import Logging
import ServiceLifecycle

/// `courier gateway`: the simulated network on its own listener (api.md §16), serving the `/gateway` control
/// endpoints. Run its `services` in a `ServiceGroup`.
public struct GatewayServer: Sendable {
    public let gateway: GatewaySimulator
    public let services: [any Service]

    public static func build(
        configuration: GatewayConfiguration, host: String, port: Int, logger: Logger,
        clock: @escaping @Sendable () -> Timestamp = SystemSources.clock,
        onListening: @escaping @Sendable (Int) async -> Void = { _ in }
    ) -> GatewayServer {
        let gateway = GatewaySimulator(configuration: configuration, clock: clock, logger: logger)
        let application = Application(
            responder: CourierAPI.gatewayResponder(gateway: gateway, logger: logger),
            configuration: ApplicationConfiguration(address: .hostname(host, port: port)),
            onServerRunning: { channel in await onListening(channel.localAddress?.port ?? 0) },
            logger: logger)
        return GatewayServer(gateway: gateway, services: [application])
    }
}
