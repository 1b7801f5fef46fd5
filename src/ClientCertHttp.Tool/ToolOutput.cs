using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;

namespace ClientCertHttp.Tool;

/// <summary>Writes JSON and errors the same way for every command.</summary>
internal static class ToolOutput
{
    /// <summary>How the library's messages name the settings that are command-line options here.</summary>
    private const string SettingsHint = "(In clientcert, Certificate:Path is the certificate argument, Certificate:KeyPath is --key, Certificate:ChainPath is --chain, Certificate:Password comes from --password-env or the prompt, and Certificate:Store/Location/Thumbprint/Subject are --store/--location/--thumbprint/--subject.)";

    public static int Error(string message, string? hint)
    {
        Console.Error.WriteLine("error: " + message);
        if (hint is not null)
        {
            Console.Error.WriteLine("  " + hint);
        }
        else if (message.Contains("Certificate:", StringComparison.Ordinal))
        {
            Console.Error.WriteLine("  " + SettingsHint);
        }

        return ExitCodes.Errors;
    }

    /// <summary>Serializes for a terminal or a pipe: indented, and quotes and apostrophes left readable.</summary>
    public static string Json<T>(T value, JsonTypeInfo<T> typeInfo)
    {
        var options = new JsonSerializerOptions(typeInfo.Options) { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };
        return JsonSerializer.Serialize(value, (JsonTypeInfo<T>)options.GetTypeInfo(typeof(T)));
    }
}
