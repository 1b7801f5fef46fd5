using ClientCertHttp.DependencyInjection;
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

    /// <summary>
    /// Gets a value indicating whether the certificate is loaded only to be reported on: an expired certificate or
    /// one without client-authentication usage is then loaded, and the readiness report names the problem.
    /// </summary>
    public bool ReportOnly { get; init; }

    /// <summary>Gets the provider of a per-identity client's identity, used instead of the client's keyed provider.</summary>
    public ICertificateProvider? Provider { get; init; }

    /// <summary>Gets the password read from <see cref="ClientCertificateOptions.PasswordFile"/> for this load, and the file's full path.</summary>
    public (string Text, string Path)? PasswordFromFile { get; init; }

    /// <summary>Gets the password to open the certificate with: the password file's content, else <see cref="ClientCertificateOptions.Password"/>.</summary>
    public string? Password => PasswordFromFile?.Text ?? Options.Password;

    /// <summary>Gets where the password came from, for messages: the setting, or the password file and its setting (never the password).</summary>
    public string PasswordSetting => PasswordFromFile is { } file ? $"the password file '{file.Path}' ({Key("PasswordFile")})" : Key("Password");

    public string Key(string relativeKey) => Names["Certificate:" + relativeKey];
}
