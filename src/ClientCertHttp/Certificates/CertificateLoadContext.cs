using ClientCertHttp.Internal;
using Microsoft.Extensions.Logging;

namespace ClientCertHttp.Certificates;

/// <summary>What every certificate source needs to load a client's certificate once.</summary>
internal sealed record CertificateLoadContext(
    SettingNames Names,
    ClientCertificateOptions Options,
    DateTimeOffset Now,
    ILogger Logger,
    IServiceProvider? Services)
{
    public string ClientName => Names.ClientName;

    public string Prefix => Names.Prefix;

    public string Key(string relativeKey) => Names["Certificate:" + relativeKey];
}
