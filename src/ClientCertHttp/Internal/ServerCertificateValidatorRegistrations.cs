namespace ClientCertHttp.Internal;

/// <summary>
/// Named options (named after the client) holding the factories of the client's server certificate validators, in
/// registration order.
/// </summary>
internal sealed class ServerCertificateValidatorRegistrations
{
    public List<Func<IServiceProvider, IServerCertificateValidator>> Factories { get; } = [];
}
