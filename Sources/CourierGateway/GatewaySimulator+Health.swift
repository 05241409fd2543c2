extension GatewaySimulator {
    /// `gateway_status` for `/v1/health` (api.md §5): `connected`; `connecting` for less than
    /// `connectingFor` (30 s) after the session was lost; then `disconnected`.
    public func healthStatus(connectingFor threshold: Duration) -> String {
        guard let lost = sessionLostFor else { return "connected" }
        return lost < threshold ? "connecting" : "disconnected"
    }
}
