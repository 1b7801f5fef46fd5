using System.Buffers;

namespace ClientCertHttp.Identities;

/// <summary>
/// The shape of an identity name. Identities become folder and file names (<c>Identities:Directory</c>) and appear in
/// messages, so only a safe alphabet is accepted: no path separator, no <c>..</c>, no control character.
/// </summary>
internal static class ClientCertificateIdentityNames
{
    /// <summary>The longest identity name.</summary>
    public const int MaxLength = 200;

    private static readonly SearchValues<char> Allowed = SearchValues.Create("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.@");

    public static bool IsValid(string? identity) =>
        !string.IsNullOrEmpty(identity)
        && identity.Length <= MaxLength
        && identity[0] != '.'
        && !identity.AsSpan().ContainsAnyExcept(Allowed);
}
