import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { clientConfig } from './config';

// Created once per Lambda container, with the functions' shared settings (./config).
export const dynamodb = new DynamoDBClient(clientConfig);
