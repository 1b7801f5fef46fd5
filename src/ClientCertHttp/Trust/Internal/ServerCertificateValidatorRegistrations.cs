namespace ClientCertHttp.Trust;

/// <summary>
/// Named options (named after the client) holding the factories of the client's server certificate validators, in
/// registration order. Each factory runs once per client, when its certificate source is created; it says whether
/// it created the instance (which the source then disposes) or found it (which its owner disposes).
/// </summary>
internal sealed class ServerCertificateValidatorRegistrations
{
    public List<Func<IServiceProvider, (IServerCertificateValidator Validator, bool Created)>> Factories { get; } = [];
}
