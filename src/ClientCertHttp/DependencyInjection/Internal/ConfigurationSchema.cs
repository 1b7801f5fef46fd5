using ClientCertHttp.Certificates;
using ClientCertHttp.Identities;
using ClientCertHttp.Resilience;
using ClientCertHttp.Trust;
using ClientCertHttp.Warmup;

namespace ClientCertHttp.DependencyInjection;

/// <summary>
/// The configuration keys of <see cref="ClientCertHttpOptions"/>, written out so that unknown keys are found without
/// reflection (the library is trimmed and compiled ahead of time). A unit test compares this schema with the
/// options types, so a new option cannot be forgotten here.
/// </summary>
internal static class ConfigurationSchema
{
    /// <summary>The keys of a certificate's section: the client's own, and each identity's.</summary>
    public static Section Certificate { get; } = new(
        Value(nameof(ClientCertificateOptions.Path)),
        Value(nameof(ClientCertificateOptions.KeyPath)),
        Value(nameof(ClientCertificateOptions.ChainPath)),
        Value(nameof(ClientCertificateOptions.Password)),
        Value(nameof(ClientCertificateOptions.PasswordFile)),
        Value(nameof(ClientCertificateOptions.Thumbprint)),
        Value(nameof(ClientCertificateOptions.Subject)),
        Value(nameof(ClientCertificateOptions.Store)),
        Value(nameof(ClientCertificateOptions.Location)),
        Value(nameof(ClientCertificateOptions.Base64)),
        Value(nameof(ClientCertificateOptions.Directory)),
        Value(nameof(ClientCertificateOptions.CredentialBundlePath)),
        Value(nameof(ClientCertificateOptions.KeyDerivationIterationLimit)),
        Value(nameof(ClientCertificateOptions.ProviderTimeout)));

    /// <summary>The keys of one client's section.</summary>
    public static Section Client { get; } = new(
        Value(nameof(ClientCertHttpOptions.BaseAddress)),
        Nested(nameof(ClientCertHttpOptions.Certificate), Certificate),
        Nested(nameof(ClientCertHttpOptions.ServerTrust), new Section(
            Value(nameof(ServerTrustOptions.Mode)),
            Value(nameof(ServerTrustOptions.RootCertificatesPath)),
            Value(nameof(ServerTrustOptions.RootCertificatesBase64)),
            Value(nameof(ServerTrustOptions.Store)),
            Value(nameof(ServerTrustOptions.Location)),
            Value(nameof(ServerTrustOptions.Thumbprint)),
            Value(nameof(ServerTrustOptions.IntermediateCertificatesPath)),
            List(nameof(ServerTrustOptions.PinnedPublicKeys)),
            List(nameof(ServerTrustOptions.AllowedServerIdentities)),
            Value(nameof(ServerTrustOptions.RevocationMode)),
            Value(nameof(ServerTrustOptions.RevocationTimeout)),
            Value(nameof(ServerTrustOptions.DangerousAcceptAnyServerCertificate)),
            Value(nameof(ServerTrustOptions.AllowSha1SignedServerCertificate)),
            Value(nameof(ServerTrustOptions.MinimumRsaKeySize)),
            Value(nameof(ServerTrustOptions.AllowServerCertificateWithoutSubjectAlternativeName)),
            Value(nameof(ServerTrustOptions.AllowCertificateAuthorityAsServerCertificate)),
            Value(nameof(ServerTrustOptions.AllowCertificateSigningKeyAsServerCertificate)),
            Value(nameof(ServerTrustOptions.AllowServerCertificateWithoutExtendedKeyUsage)),
            Value(nameof(ServerTrustOptions.AllowWildcardNameConstraintOverlap)),
            Value(nameof(ServerTrustOptions.ValidatorsReplaceBuiltInVerdict)))),
        Nested(nameof(ClientCertHttpOptions.Reload), new Section(
            Value(nameof(ClientCertificateReloadOptions.Enabled)),
            Value(nameof(ClientCertificateReloadOptions.PollInterval)),
            Value(nameof(ClientCertificateReloadOptions.DrainTimeout)))),
        Value(nameof(ClientCertHttpOptions.ExpiryWarningWindow)),
        Nested(nameof(ClientCertHttpOptions.Retry), new Section(
            Value(nameof(ClientCertHttpRetryOptions.Enabled)),
            Value(nameof(ClientCertHttpRetryOptions.MaxRetryAttempts)),
            Value(nameof(ClientCertHttpRetryOptions.Delay)),
            Value(nameof(ClientCertHttpRetryOptions.BackoffType)),
            Value(nameof(ClientCertHttpRetryOptions.UseJitter)),
            Value(nameof(ClientCertHttpRetryOptions.MaxDelay)),
            Value(nameof(ClientCertHttpRetryOptions.AttemptTimeout)),
            Value(nameof(ClientCertHttpRetryOptions.TotalTimeout)),
            Value(nameof(ClientCertHttpRetryOptions.RetryNonIdempotentMethods)),
            Value(nameof(ClientCertHttpRetryOptions.ReloadAndRetryOnCertificateRejection)),
            Value(nameof(ClientCertHttpRetryOptions.TreatForbiddenAsCertificateRejection)))),
        Nested(nameof(ClientCertHttpOptions.Warmup), new Section(
            Value(nameof(ClientCertHttpWarmupOptions.Connections)),
            Value(nameof(ClientCertHttpWarmupOptions.Timeout)),
            Value(nameof(ClientCertHttpWarmupOptions.HttpVersion)))),
        Nested(nameof(ClientCertHttpOptions.Identities), new Section(
            Map(nameof(ClientCertificateIdentityOptions.Certificates), Certificate),
            Value(nameof(ClientCertificateIdentityOptions.Directory)),
            Value(nameof(ClientCertificateIdentityOptions.MaxIdentities)),
            Value(nameof(ClientCertificateIdentityOptions.IdleTimeout)),
            Value(nameof(ClientCertificateIdentityOptions.IncludeIdentityInMetrics)))));

    private static Key Value(string name) => new(name, IsList: false, Section: null);

    private static Key List(string name) => new(name, IsList: true, Section: null);

    private static Key Nested(string name, Section section) => new(name, IsList: false, section);

    private static Key Map(string name, Section entry) => new(name, IsList: false, Section: null) { Entry = entry };

    /// <summary>One configuration key: a value, a list of strings, a nested section, or a map of sections (<see cref="Entry"/>) under keys of the user's choosing.</summary>
    public sealed record Key(string Name, bool IsList, Section? Section)
    {
        /// <summary>Gets the shape of every entry of a map, or <see langword="null"/> when the key is not a map.</summary>
        public Section? Entry { get; init; }
    }

    /// <summary>The keys of one section, matched case-insensitively as the binder does.</summary>
    public sealed class Section(params Key[] keys)
    {
        public IReadOnlyDictionary<string, Key> Keys { get; } = keys.ToDictionary(k => k.Name, StringComparer.OrdinalIgnoreCase);
    }
}
