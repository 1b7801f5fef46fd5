using System.Net.Security;
using System.Reflection;

namespace ClientCertHttp.Internal;

/// <summary>
/// Copies every public setting of a <see cref="SocketsHttpHandler"/>, so that a handler for a rotated certificate is
/// configured exactly as the user configured the first one. Reflection runs only on rotation, never per request, and
/// covers settings added by future runtimes without a change here.
/// </summary>
internal static class SocketsHttpHandlerSettings
{
    private static readonly PropertyInfo[] HandlerProperties = typeof(SocketsHttpHandler)
        .GetProperties(BindingFlags.Public | BindingFlags.Instance)
        .Where(p => p.CanRead && p.CanWrite && p.GetIndexParameters().Length == 0 && p.Name != nameof(SocketsHttpHandler.SslOptions))
        .ToArray();

    private static readonly PropertyInfo[] SslProperties = typeof(SslClientAuthenticationOptions)
        .GetProperties(BindingFlags.Public | BindingFlags.Instance)
        .Where(p => p.CanRead && p.CanWrite && p.GetIndexParameters().Length == 0)
        .ToArray();

    /// <summary>Creates a new, unused handler with the settings of <paramref name="source"/> and the given TLS options.</summary>
    public static SocketsHttpHandler Copy(SocketsHttpHandler source, SslClientAuthenticationOptions sslOptions)
    {
        var copy = new SocketsHttpHandler();
        try
        {
            foreach (var property in HandlerProperties)
            {
                property.SetValue(copy, property.GetValue(source));
            }

            foreach (var (key, value) in source.Properties)
            {
                copy.Properties[key] = value;
            }

            copy.SslOptions = Copy(sslOptions);
            return copy;
        }
        catch
        {
            copy.Dispose();
            throw;
        }
    }

    /// <summary>Copies TLS options; the application protocol list is copied, everything else is shared by reference.</summary>
    public static SslClientAuthenticationOptions Copy(SslClientAuthenticationOptions source)
    {
        var copy = new SslClientAuthenticationOptions();
        foreach (var property in SslProperties)
        {
            var value = property.GetValue(source);
            if (value is List<SslApplicationProtocol> protocols)
            {
                value = new List<SslApplicationProtocol>(protocols);
            }

            property.SetValue(copy, value);
        }

        return copy;
    }
}
